"""Every Funnel head against transformers with padding and token types: logits, losses, hidden
states and attentions <= 1e-5 (fp32), weights moved both ways through files.

The conformance kit compares one layout on `input_ids` + `attention_mask`; here every head
runs on layouts that together cover Funnel's options (both attention types, mean/max pooling,
`separate_cls`, `truncate_seq`, `pool_q_only`, repeated layers, decoder depth) with padding,
token types (`[CLS]` in type 2) and labels, on an odd length. The base models are also run on
every short length (where pooling stops early) and through the fused attention path (no
attention weights asked for).
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_funnel import modeling_funnel as ours  # noqa: E402
from tfx_plugin_funnel.configuration_funnel import FunnelConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

BASE = {
    "vocab_size": 99,
    "d_model": 32,
    "n_head": 4,
    "d_head": 8,
    "d_inner": 37,
    "block_sizes": [1, 2, 1],
    "num_decoder_layers": 1,
    "hidden_dropout": 0.0,
    "attention_dropout": 0.0,
}
LAYOUTS = {
    "default": {},  # relative_shift, mean, separate_cls, truncate_seq, pool_q_only
    "factorized-max": {"attention_type": "factorized", "pooling_type": "max"},
    "no-separate-cls": {"separate_cls": False, "truncate_seq": False},
    "no-truncate": {"truncate_seq": False, "pooling_type": "max"},
    "pool-all": {"pool_q_only": False},
    "factorized-pool-all": {"attention_type": "factorized", "pool_q_only": False},
    "repeats": {"block_sizes": [1, 1, 1], "block_repeats": [2, 1, 2], "num_decoder_layers": 2},
}
B, T, C = 2, 11, 3


def _inputs(shape: tuple[int, ...]) -> dict:
    generator = torch.Generator().manual_seed(0)
    mask = torch.ones(shape, dtype=torch.long)
    mask[-1, ..., -4:] = 0
    token_types = torch.randint(0, 2, shape, generator=generator)
    token_types[..., 0] = 2  # the tokenizer puts [CLS] in token type 2
    return {
        "input_ids": torch.randint(1, 99, shape, generator=generator),
        "attention_mask": mask,
        "token_type_ids": token_types,
    }


HEADS = {
    "FunnelModel": ((B, T), {}, ("last_hidden_state",)),
    "FunnelBaseModel": ((B, T), {}, ("last_hidden_state",)),
    "FunnelForPreTraining": ((B, T), {"labels": torch.randint(0, 2, (B, T))}, ("logits",)),
    "FunnelForMaskedLM": ((B, T), {"labels": torch.randint(0, 99, (B, T))}, ("logits",)),
    "FunnelForSequenceClassification": ((B, T), {"labels": torch.tensor([1, 0])}, ("logits",)),
    "FunnelForMultipleChoice": ((B, C, T), {"labels": torch.tensor([0, 2])}, ("logits",)),
    "FunnelForTokenClassification": (
        (B, T),
        {"labels": torch.randint(0, 2, (B, T))},
        ("logits",),
    ),
    "FunnelForQuestionAnswering": (
        (B, T),
        {"start_positions": torch.tensor([1, 3]), "end_positions": torch.tensor([2, 9])},
        ("start_logits", "end_logits"),
    ),
}


# every head on both attention types; the base models (whose code every head runs) on every layout
CASES = [(name, layout) for layout in ("default", "factorized-max") for name in HEADS] + [
    (name, layout) for layout in list(LAYOUTS)[2:] for name in ("FunnelModel", "FunnelBaseModel")
]


@pytest.mark.parametrize("name, layout", CASES)
def test_head_matches_the_reference(check_parity, name, layout):
    shape, labels, fields = HEADS[name]
    config = transformers.FunnelConfig(**{**BASE, **LAYOUTS[layout]})
    inputs = {**_inputs(shape), **labels}
    extra = ("hidden_states", "attentions") + (() if name.endswith("Model") else ("loss",))
    check_parity(getattr(ours, name), getattr(transformers, name), config, inputs, fields + extra)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_short_length_and_the_fused_path_match(layout, tmp_path):
    """Lengths 1..9 (pooling stops once two tokens are left), without attention weights (the
    fused path, with token types) and with them (the eager path, without). Inputs too short
    for the reference's relative_shift positions (it fails on them) run in tfx."""
    config = transformers.FunnelConfig(**{**BASE, **LAYOUTS[layout]})
    torch.manual_seed(0)
    reference = transformers.FunnelModel(config).eval()  # runs the base model's code too
    reference.save_pretrained(tmp_path)
    model = ours.FunnelModel.from_pretrained(tmp_path, strict=True).eval()
    for length in range(1, 10):
        inputs = _inputs((B, length))
        inputs["attention_mask"][-1] = torch.arange(length) <= length // 2  # never all padding
        try:
            with torch.no_grad():
                reference(**inputs)
        except RuntimeError:  # the reference's relative_shift positions fail on it; tfx runs
            with torch.no_grad():
                hidden = model(**inputs).last_hidden_state
            assert hidden.shape == (B, length, BASE["d_model"]) and hidden.isfinite().all()
            continue
        for kwargs in ({}, {"output_attentions": True, "token_type_ids": None}):
            call = {**inputs, **kwargs}
            with torch.no_grad():
                expected = reference(**call).last_hidden_state
                got = model(**call).last_hidden_state
            assert got.shape == expected.shape, (length, kwargs)
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=0, msg=f"{length} {kwargs}")


def test_tuple_outputs_and_regression_loss_match(check_parity):
    config = transformers.FunnelConfig(**BASE, num_labels=1)
    inputs = {**_inputs((B, T)), "labels": torch.tensor([0.5, -1.25])}
    check_parity(
        ours.FunnelForSequenceClassification,
        transformers.FunnelForSequenceClassification,
        config,
        inputs,
        ("logits", "loss"),
    )
    model = ours.FunnelModel(FunnelConfig(**BASE)).eval()
    with torch.no_grad():
        tuple_out = model(**_inputs((B, T)), output_hidden_states=True, return_dict=False)
    assert len(tuple_out) == 2 and len(tuple_out[1]) == 1 + 4 + 1 + 1  # embeddings, 4 enc, dec


def test_training_step_with_dropout_runs_and_updates():
    config = FunnelConfig(**{**BASE, "hidden_dropout": 0.1, "attention_dropout": 0.1})
    model = ours.FunnelForMaskedLM(config).train()
    inputs = _inputs((B, T))
    loss = model(**inputs, labels=inputs["input_ids"]).loss
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and torch.isfinite(loss)


def test_bad_configs_and_inputs_raise_clear_errors():
    with pytest.raises(ConfigError, match="block_repeats"):
        FunnelConfig(**{**BASE, "block_repeats": [1, 1]})
    with pytest.raises(ConfigError, match="attention_type"):
        FunnelConfig(**BASE, attention_type="absolute")
    with pytest.raises(ConfigError, match="pooling_type"):
        FunnelConfig(**BASE, pooling_type="min")
    with pytest.raises(ConfigError, match="block_sizes"):
        FunnelConfig(**{**BASE, "block_sizes": [2, 0]})
    with pytest.raises(ConfigError, match="num_hidden_layers"):  # derived from block_sizes
        FunnelConfig(**BASE, num_hidden_layers=7)
    config = FunnelConfig(**BASE)
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (4, 32, 4)
    model = ours.FunnelBaseModel(config).eval()
    ids = torch.ones(1, 5, dtype=torch.long)
    with pytest.raises(ConfigError, match="attention_mask must be shaped"):
        model(ids, attention_mask=torch.ones(1, 4))
    with pytest.raises(ConfigError, match="exactly one"):
        model()
