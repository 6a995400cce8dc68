"""BERT against the transformers reference on the same weights: every head, both directions."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_bert.modeling_bert as tfx_bert  # noqa: E402
from tfx_plugin_bert.configuration_bert import BertConfig  # noqa: E402

from tfx_core import AutoModel, AutoModelForSequenceClassification  # noqa: E402

HEADS = [
    "BertModel",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
]

SHAPES = [  # (seed, hidden, heads, layers, hidden_act)
    (0, 36, 3, 2, "gelu"),  # hidden size not divisible by 64
    (1, 64, 4, 1, "gelu_new"),
    (2, 20, 5, 3, "relu"),
]


def _reference_config(hidden, heads, layers, act, **extra):
    return transformers.BertConfig(
        vocab_size=97,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 2 + 1,
        hidden_act=act,
        max_position_embeddings=40,
        type_vocab_size=3,
        layer_norm_eps=1e-7,
        num_labels=4,
        **extra,
    )


def _inputs(head, seed, with_token_types):
    generator = torch.Generator().manual_seed(seed)
    shape = (2, 3, 9) if head == "BertForMultipleChoice" else (3, 9)
    ids = torch.randint(1, 97, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    if head == "BertForMultipleChoice":
        mask[:, 1, 6:] = 0
    else:
        mask[1, 6:] = 0
        mask[2, 3:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if with_token_types:
        inputs["token_type_ids"] = torch.randint(0, 3, shape, generator=generator)
    return inputs


def _labels(head, inputs):
    ids = inputs["input_ids"]
    if head in ("BertForMaskedLM",):
        return {"labels": ids.clone()}
    if head == "BertForSequenceClassification":
        return {"labels": torch.tensor([0, 3, 1])}
    if head == "BertForTokenClassification":
        return {"labels": torch.randint(0, 4, ids.shape)}
    if head == "BertForQuestionAnswering":
        return {
            "start_positions": torch.tensor([1, 2, 3]),
            "end_positions": torch.tensor([2, 4, 3]),
        }
    if head == "BertForMultipleChoice":
        return {"labels": torch.tensor([0, 2])}
    if head == "BertForNextSentencePrediction":
        return {"labels": torch.tensor([0, 1, 1])}
    if head == "BertForPreTraining":
        return {"labels": ids.clone(), "next_sentence_label": torch.tensor([0, 1, 0])}
    return {}


def _assert_outputs_match(ours, theirs):
    for key, value in theirs.items():
        if torch.is_tensor(value):
            assert (ours[key] - value).abs().max().item() <= 1e-5, key
        elif isinstance(value, tuple):
            for mine, ref in zip(ours[key], value):
                assert (mine - ref).abs().max().item() <= 1e-5, key


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize(("seed", "hidden", "heads", "layers", "act"), SHAPES)
def test_logits_hidden_states_and_losses_match(tmp_path, head, seed, hidden, heads, layers, act):
    torch.manual_seed(seed)
    config = _reference_config(hidden, heads, layers, act)
    if head == "BertForQuestionAnswering":
        config.num_labels = 2
    reference = getattr(transformers, head)(config).eval()
    reference.save_pretrained(tmp_path)
    ours = getattr(tfx_bert, head).from_pretrained(tmp_path)
    assert ours.load_report.is_clean, str(ours.load_report)
    for with_types in (True, False):
        inputs = _inputs(head, seed, with_types)
        labels = _labels(head, inputs)
        with torch.no_grad():
            theirs = reference(
                **inputs, **labels, output_hidden_states=True, output_attentions=True
            )
            mine = ours(**inputs, **labels, output_hidden_states=True, output_attentions=True)
        assert list(mine.keys()) == list(theirs.keys())
        _assert_outputs_match(mine, theirs)


@pytest.mark.parametrize("problem_type", ["regression", "single_label_classification",
                                          "multi_label_classification"])  # fmt: skip
def test_sequence_classification_losses(tmp_path, problem_type):
    torch.manual_seed(3)
    num_labels = 1 if problem_type == "regression" else 3
    config = _reference_config(24, 2, 1, "gelu")
    config.num_labels = num_labels
    config.problem_type = problem_type
    reference = transformers.BertForSequenceClassification(config).eval()
    reference.save_pretrained(tmp_path)
    ours = tfx_bert.BertForSequenceClassification.from_pretrained(tmp_path)
    ids = torch.randint(0, 97, (4, 6))
    labels = {
        "regression": torch.randn(4),
        "single_label_classification": torch.tensor([0, 2, 1, 1]),
        "multi_label_classification": torch.randint(0, 2, (4, 3)).float(),
    }[problem_type]
    with torch.no_grad():
        assert torch.allclose(
            reference(ids, labels=labels).loss, ours(ids, labels=labels).loss, atol=1e-6
        )


def test_tfx_save_loads_in_reference(tmp_path):
    torch.manual_seed(4)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=40, max_position_embeddings=32, num_labels=3)  # fmt: skip
    for head in ("BertForMaskedLM", "BertForSequenceClassification", "BertForPreTraining"):
        ours = getattr(tfx_bert, head).from_config(config).eval()
        ours.save_pretrained(tmp_path / head)
        theirs, info = getattr(transformers, head).from_pretrained(
            tmp_path / head, output_loading_info=True
        )
        assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), (
            info
        )
        ids = torch.randint(0, 50, (2, 8))
        with torch.no_grad():
            _assert_outputs_match(ours(ids), theirs.eval()(ids))


def test_reference_save_loads_in_tfx_with_empty_report(tmp_path):
    torch.manual_seed(5)
    reference = transformers.BertForSequenceClassification(_reference_config(32, 4, 2, "gelu"))
    reference.eval().save_pretrained(tmp_path)
    same_head = AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert same_head.load_report.is_clean and not same_head.load_report.ignored_unexpected
    ours = AutoModel.from_pretrained(tmp_path)  # base model from a head checkpoint
    assert type(ours).__name__ == "BertModel"
    assert ours.load_report.missing == []
    assert sorted(ours.load_report.unexpected) == ["classifier.bias", "classifier.weight"]
    ids = torch.randint(0, 97, (2, 8))
    with torch.no_grad():
        expected = reference.bert(ids).last_hidden_state
        assert (ours(ids).last_hidden_state - expected).abs().max() <= 1e-5


def test_head_from_base_checkpoint_reports_exactly_the_head_keys(tmp_path):
    reference = transformers.BertModel(_reference_config(24, 2, 1, "gelu"))
    reference.save_pretrained(tmp_path)
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=5)
    assert sorted(classifier.load_report.missing) == ["classifier.bias", "classifier.weight"]
    assert classifier.load_report.unexpected == []
    assert classifier.classifier.out_features == 5
    mlm = tfx_bert.BertForMaskedLM.from_pretrained(tmp_path)
    assert sorted(mlm.load_report.missing) == [
        "cls.predictions.bias",
        "cls.predictions.transform.LayerNorm.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.dense.weight",
    ]
    # the decoder is tied to the loaded word embeddings, not re-initialised
    assert mlm.cls.predictions.decoder.weight is mlm.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_loading(tmp_path, dtype):
    torch.manual_seed(6)
    reference = transformers.BertModel(_reference_config(32, 4, 1, "gelu")).eval()
    reference.save_pretrained(tmp_path)
    ours = AutoModel.from_pretrained(tmp_path, dtype=dtype)
    assert ours.dtype == dtype
    assert all(p.dtype == dtype for p in ours.parameters())
    assert ours.embeddings.position_ids.dtype == torch.long
    ids = torch.randint(0, 97, (2, 6))
    with torch.no_grad():
        expected = reference(ids).last_hidden_state
        got = ours(ids).last_hidden_state.float()
    assert (got - expected).abs().max() < 0.1
    ours.save_pretrained(tmp_path / "saved")
    assert AutoModel.from_pretrained(tmp_path / "saved", dtype="auto").dtype == dtype


def test_eager_and_sdpa_agree_and_attentions_are_returned(tmp_path):
    torch.manual_seed(7)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=40, max_position_embeddings=32)  # fmt: skip
    model = tfx_bert.BertModel.from_config(config).eval()
    model.save_pretrained(tmp_path)
    eager = tfx_bert.BertModel.from_pretrained(tmp_path, attn_implementation="eager")
    ids = torch.randint(0, 50, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.long)
    mask[0, 5:] = 0
    with torch.no_grad():
        a = model(ids, attention_mask=mask)
        b = eager(ids, attention_mask=mask, output_attentions=True)
    assert (a.last_hidden_state - b.last_hidden_state).abs().max() <= 1e-5
    assert len(b.attentions) == 2 and b.attentions[0].shape == (2, 4, 8, 8)
    assert torch.allclose(b.attentions[0].sum(-1), torch.ones(2, 4, 8))
    assert b.attentions[0][0, :, :, 5:].abs().max() < 1e-6  # padded keys get no weight
    assert model(ids, return_dict=False)[0].shape == (2, 8, 32)
