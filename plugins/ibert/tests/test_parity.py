"""Every I-BERT head against transformers with padding, token types and labels: logits, losses,
hidden states and attentions <= 1e-5 (fp32), weights moved both ways through files with equal
key sets (the kit's `check_parity`); integer-only mode refused clearly."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_ibert import modeling_ibert as ours  # noqa: E402
from tfx_plugin_ibert.configuration_ibert import IBertConfig  # noqa: E402

from tfx_core import AutoModel  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402

CONFIG = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}
B, T, C = 2, 9, 3
_STATES = ("hidden_states", "attentions")


def _inputs(shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 99, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    mask[..., -3:] = 0
    mask[0, ..., -3:] = 1  # the first row unpadded
    ids = ids.masked_fill(mask == 0, 1)  # pad_token_id
    types = torch.zeros(shape, dtype=torch.long)
    types[..., 4:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


HEADS = {
    "IBertModel": ((B, T), {}, ("last_hidden_state", "pooler_output")),
    "IBertForMaskedLM": ((B, T), {"labels": torch.randint(0, 99, (B, T))}, ("logits", "loss")),
    "IBertForSequenceClassification": (
        (B, T),
        {"labels": torch.tensor([2, 0])},
        ("logits", "loss"),
    ),
    "IBertForTokenClassification": (
        (B, T),
        {"labels": torch.randint(0, 3, (B, T))},
        ("logits", "loss"),
    ),
    "IBertForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 8])},
        ("start_logits", "end_logits", "loss"),
    ),
    "IBertForMultipleChoice": ((B, C, T), {"labels": torch.tensor([0, 2])}, ("logits", "loss")),
}


@pytest.mark.parametrize("name", list(HEADS))
def test_head_matches_the_reference(tmp_path, check_parity, name):
    shape, labels, fields = HEADS[name]
    check_parity(
        getattr(ours, name),
        getattr(transformers, name),
        transformers.IBertConfig(**{**CONFIG, "num_labels": 2 if "Question" in name else 3}),
        {**_inputs(shape), **labels},
        outputs=fields + _STATES,
        folder=tmp_path,
    )


def test_quant_mode_is_refused_with_the_reason(tmp_path):
    transformers.IBertModel(transformers.IBertConfig(**CONFIG, quant_mode=True)).save_pretrained(
        tmp_path
    )
    with pytest.raises(ConfigError, match="quant_mode=False"):
        AutoModel.from_pretrained(tmp_path)
    model = AutoModel.from_pretrained(tmp_path, quant_mode=False).eval()  # the float model
    reference = transformers.IBertModel.from_pretrained(tmp_path, quant_mode=False).eval()
    inputs = _inputs((B, T))
    with torch.no_grad():
        diff = model(**inputs).last_hidden_state - reference(**inputs).last_hidden_state
    assert diff.abs().max() <= 1e-5


@pytest.mark.parametrize(
    ("field", "value"),
    [("hidden_act", "relu"), ("position_embedding_type", "relative_key"), ("force_dequant", "x")],
)
def test_settings_the_reference_refuses_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        ours.IBertModel(IBertConfig(**CONFIG, **{field: value}))


def test_inference_runs_the_core_lean_encoder():
    model = ours.IBertModel(IBertConfig(**CONFIG)).eval()
    with torch.no_grad():
        model(**_inputs((B, T)))
        assert model.encoder.lean_layers() is not None  # the quantization state is no obstacle
