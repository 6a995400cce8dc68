"""Every MPNet head against transformers: logits, losses, hidden states and attentions
<= 1e-5 (fp32), weights moved both ways through files, on padded inputs long enough for the
log-spaced position buckets (distances past 8), with a head mask on the module path.
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_mpnet import modeling_mpnet as ours  # noqa: E402

CONFIG = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 80,
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
}
B, T, C = 2, 40, 3


def _inputs(shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 99, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    ids[-1, ..., -5:] = 1  # padding (id 1)
    mask[-1, ..., -5:] = 0
    return {"input_ids": ids, "attention_mask": mask}


HEADS = {
    "MPNetModel": ((B, T), {}, ("last_hidden_state", "pooler_output")),
    "MPNetForMaskedLM": ((B, T), {"labels": torch.randint(0, 99, (B, T))}, ("logits",)),
    "MPNetForSequenceClassification": ((B, T), {"labels": torch.tensor([1, 0])}, ("logits",)),
    "MPNetForTokenClassification": ((B, T), {"labels": torch.randint(0, 2, (B, T))}, ("logits",)),
    "MPNetForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 30])},
        ("start_logits", "end_logits"),
    ),
    "MPNetForMultipleChoice": ((B, C, T), {"labels": torch.tensor([0, 2])}, ("logits",)),
}


@pytest.mark.parametrize("name", list(HEADS))
def test_head_matches_the_reference(check_parity, name):
    shape, labels, fields = HEADS[name]
    config = transformers.MPNetConfig(**CONFIG)
    inputs = {**_inputs(shape), **labels}
    extra = ("hidden_states", "attentions") + (() if name == "MPNetModel" else ("loss",))
    check_parity(getattr(ours, name), getattr(transformers, name), config, inputs, fields + extra)


def test_head_mask_matches_the_reference(check_parity):
    config = transformers.MPNetConfig(**CONFIG)
    head_mask = torch.tensor([[1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 1.0]])
    inputs = {**_inputs((B, T)), "head_mask": head_mask}
    check_parity(ours.MPNetModel, transformers.MPNetModel, config, inputs, ("last_hidden_state",))


def test_position_buckets_match_the_reference():
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

    positions = torch.arange(300)
    relative = positions[None, :] - positions[:, None]
    expected = MPNetEncoder.relative_position_bucket(relative)
    assert torch.equal(ours.relative_position_bucket(relative), expected)
