"""CTRL against transformers on tiny random weights: every head, generation, round trips."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_ctrl import modeling_ctrl  # noqa: E402
from tfx_plugin_ctrl.configuration_ctrl import CTRLConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_sdk.conformance.decoder_parity import (  # noqa: E402
    assert_decode_plan_and_static_cache,
    assert_generation_matches,
    assert_heads_match,
    assert_round_trips_both_ways,
    decoder_pair,
    left_padded_batch,
)

TINY = dict(
    vocab_size=99,
    n_positions=64,
    n_embd=32,
    dff=37,
    n_layer=2,
    n_head=4,
    pad_token_id=0,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
)
HEADS = ["CTRLModel", "CTRLLMHeadModel", "CTRLForSequenceClassification"]


def make_pair(head="CTRLLMHeadModel", **overrides):
    return decoder_pair(modeling_ctrl, CTRLConfig, head, {**TINY, **overrides})


@pytest.fixture
def left_padded():
    return left_padded_batch()


@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, left_padded):
    ids, mask = left_padded
    token_types = torch.ones_like(ids)
    ours, reference = make_pair(head)
    assert_heads_match(ours, reference, ids, mask, same_keys=True, token_type_ids=token_types)


def test_sinusoidal_positions_match_reference():
    from transformers.models.ctrl.modeling_ctrl import positional_encoding

    want = positional_encoding(64, 32, torch.float)
    assert torch.allclose(modeling_ctrl.positional_encoding(64, 32), want, atol=1e-6)


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch, capsys):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    assert_generation_matches(*make_pair(), *left_padded)
    capsys.readouterr()  # the reference prints a warning per step


def test_decode_plan_with_biased_head_and_static_cache(left_padded, capsys):
    assert_decode_plan_and_static_cache(*make_pair(), *left_padded)
    capsys.readouterr()


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    saved = assert_round_trips_both_ways(ours, tmp_path, left_padded[0])
    assert saved["model_type"] == "ctrl" and saved["dff"] == 37


def test_config_errors_and_aliases():
    config = CTRLConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=3)
    assert (config.n_embd, config.n_head, config.n_layer) == (16, 2, 3)
    assert "ffn_activation" not in config.to_dict()
    with pytest.raises(ConfigError, match="divisible"):
        CTRLConfig(n_embd=30, n_head=4)
    with pytest.raises(ConfigError, match="dff"):
        CTRLConfig(dff=0)
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="n_positions"):
        ours(torch.ones(1, 65, dtype=torch.long))
