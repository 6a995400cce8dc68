"""Every DeBERTa head against transformers with padding and token types: logits, losses,
hidden states and attentions <= 1e-5 (fp32), weights moved both ways through files.

The conformance kit compares logits on `input_ids` + `attention_mask`; here the inputs also
carry token types and labels, distances reach past `max_relative_positions`, and
talking heads, the current masked-LM head (`legacy=False`) and the DeBERTa-specific
classification losses (negative labels ignored, soft labels) are checked.
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_deberta import modeling_deberta as ours  # noqa: E402
from tfx_plugin_deberta.configuration_deberta import DebertaConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

BASE = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
}
VARIANTS = {
    "relative": {
        "relative_attention": True,
        "max_relative_positions": 6,
        "pos_att_type": "c2p|p2c",
        "type_vocab_size": 2,
    },
    "talking-heads": {
        "embedding_size": 24,
        "relative_attention": True,
        "pos_att_type": ["p2c", "c2p"],
        "talking_head": True,
        "position_biased_input": False,
        "type_vocab_size": 0,
        "pooler_hidden_act": "tanh",
    },
    "p2c-only": {"relative_attention": True, "pos_att_type": ["p2c"], "type_vocab_size": 2},
    "absolute": {"type_vocab_size": 2},
}
B, T = 2, 11


def _inputs(variant: str, shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    inputs = {
        "input_ids": torch.randint(1, 99, shape, generator=generator),
        "attention_mask": torch.ones(shape, dtype=torch.long),
    }
    inputs["attention_mask"][-1, ..., -3:] = 0
    if VARIANTS[variant].get("type_vocab_size"):
        inputs["token_type_ids"] = torch.randint(0, 2, shape, generator=generator)
    return inputs


HEADS = {
    "DebertaModel": ((B, T), {}, ("last_hidden_state",)),
    "DebertaForMaskedLM": ((B, T), {"labels": torch.randint(0, 99, (B, T))}, ("logits",)),
    "DebertaForSequenceClassification": ((B, T), {"labels": torch.tensor([1, -1])}, ("logits",)),
    "DebertaForTokenClassification": (
        (B, T),
        {"labels": torch.randint(0, 2, (B, T))},
        ("logits",),
    ),
    "DebertaForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 9])},
        ("start_logits", "end_logits"),
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(HEADS))
def test_head_matches_the_reference(check_parity, name, variant):
    shape, labels, fields = HEADS[name]
    config = transformers.DebertaConfig(**BASE, **VARIANTS[variant])
    inputs = {**_inputs(variant, shape), **labels}
    extra = ("hidden_states", "attentions") + (() if name == "DebertaModel" else ("loss",))
    check_parity(getattr(ours, name), getattr(transformers, name), config, inputs, fields + extra)


@pytest.mark.parametrize(
    "labels, num_labels",
    [
        (torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]), 3),  # soft labels
        (torch.tensor([-1, -1]), 3),  # every label ignored
        (torch.tensor([0.5, -1.25]), 1),  # regression
    ],
)
def test_classification_losses_match_the_reference(check_parity, labels, num_labels):
    config = transformers.DebertaConfig(**BASE, **VARIANTS["relative"], num_labels=num_labels)
    inputs = {**_inputs("relative", (B, T)), "labels": labels}
    check_parity(
        ours.DebertaForSequenceClassification,
        transformers.DebertaForSequenceClassification,
        config,
        inputs,
        ("logits", "loss"),
    )


def test_current_masked_lm_head_matches_the_reference(check_parity):
    """`legacy=False`: `lm_predictions.lm_head`, logits over the word embeddings. (With tied
    embeddings the reference ties the head's `dense` to them and breaks, so untied here.)"""
    config = transformers.DebertaConfig(
        **BASE, **VARIANTS["relative"], legacy=False, tie_word_embeddings=False
    )
    inputs = {**_inputs("relative", (B, T)), "labels": torch.randint(0, 99, (B, T))}
    check_parity(
        ours.DebertaForMaskedLM,
        transformers.DebertaForMaskedLM,
        config,
        inputs,
        ("logits", "loss", "hidden_states"),
    )


def test_bad_inputs_raise_clear_errors():
    config = DebertaConfig(**BASE, **VARIANTS["relative"])
    model = ours.DebertaModel(config).eval()
    ids = torch.ones(1, 5, dtype=torch.long)
    with pytest.raises(ConfigError, match="attention_mask must be"):
        model(ids, attention_mask=torch.ones(1, 5, 5))
    with pytest.raises(ConfigError, match="pos_att_type"):
        DebertaConfig(**BASE, pos_att_type=["c2q"])
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        ours.DebertaModel(DebertaConfig(**BASE))(torch.ones(1, 65, dtype=torch.long))
