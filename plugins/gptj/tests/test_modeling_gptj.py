"""GPT-J against transformers on tiny random weights: every head, rotary widths, generation."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_gptj import modeling_gptj  # noqa: E402
from tfx_plugin_gptj.configuration_gptj import GPTJConfig  # noqa: E402

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
    n_layer=2,
    n_head=4,
    rotary_dim=4,  # of a head size of 8: half the channels rotate
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
HEADS = [
    "GPTJModel",
    "GPTJForCausalLM",
    "GPTJForSequenceClassification",
    "GPTJForQuestionAnswering",
]


def make_pair(head="GPTJForCausalLM", **overrides):
    return decoder_pair(modeling_gptj, GPTJConfig, head, {**TINY, **overrides})


@pytest.fixture
def left_padded():
    return left_padded_batch()


@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, left_padded):
    assert_heads_match(*make_pair(head), *left_padded)


@pytest.mark.parametrize(
    "overrides",
    [{"rotary_dim": 8}, {"rotary_dim": 2, "tie_word_embeddings": True}, {"n_inner": 20}],
    ids=["full-rotary", "narrow-tied", "n_inner"],
)
def test_variants_match_reference(overrides, left_padded):
    assert_heads_match(*make_pair(**overrides), *left_padded)


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    assert_generation_matches(*make_pair(), *left_padded)


def test_decode_plan_with_biased_head_and_static_cache(left_padded):
    # lm_head has a bias: the plan adds it
    assert_decode_plan_and_static_cache(*make_pair(), *left_padded)


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    saved = assert_round_trips_both_ways(ours, tmp_path, left_padded[0])
    assert saved["rotary_dim"] == 4 and saved["tie_word_embeddings"] is False


def test_config_aliases_and_errors():
    config = GPTJConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=3, rotary_dim=8)
    assert (config.n_embd, config.n_head, config.n_layer) == (16, 2, 3)
    reference = transformers.GPTJConfig(**TINY).to_dict()
    ours = GPTJConfig(**TINY).to_dict()
    for key in ("n_embd", "n_head", "rotary_dim", "n_positions", "tie_word_embeddings"):
        assert ours[key] == reference[key], key
    with pytest.raises(ConfigError, match="rotary_dim"):
        GPTJConfig(n_embd=32, n_head=4, rotary_dim=16)
    with pytest.raises(ConfigError, match="rotary_dim"):
        GPTJConfig(n_embd=32, n_head=4, rotary_dim=3)
    with pytest.raises(ConfigError, match="divisible"):
        GPTJConfig(n_embd=30, n_head=4)


def test_too_long_input_is_refused():
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="n_positions"):
        ours(torch.ones(1, 65, dtype=torch.long))
