"""GPT-Neo against transformers on tiny random weights: every head, local windows, generation."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_gpt_neo import modeling_gpt_neo  # noqa: E402
from tfx_plugin_gpt_neo.configuration_gpt_neo import GPTNeoConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_sdk.conformance.decoder_parity import (  # noqa: E402
    assert_decode_plan_and_static_cache,
    assert_generation_matches,
    assert_heads_match,
    assert_round_trips_both_ways,
    decoder_pair,
    left_padded_batch,
)

# the window (3) is shorter than the prompts, so local layers mask differently from global ones
TINY = dict(
    vocab_size=99,
    max_position_embeddings=64,
    hidden_size=32,
    num_layers=4,
    attention_types=[[["global", "local"], 2]],
    window_size=3,
    num_heads=4,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
HEADS = [
    "GPTNeoModel",
    "GPTNeoForCausalLM",
    "GPTNeoForSequenceClassification",
    "GPTNeoForTokenClassification",
    "GPTNeoForQuestionAnswering",
]


def make_pair(head="GPTNeoForCausalLM", **overrides):
    return decoder_pair(modeling_gpt_neo, GPTNeoConfig, head, {**TINY, **overrides})


@pytest.fixture
def left_padded():
    return left_padded_batch()


@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, left_padded):
    assert_heads_match(*make_pair(head), *left_padded)


def test_local_layers_really_are_windowed(left_padded):
    """A model whose layers are all global differs: the window is not silently ignored."""
    ours, _ = make_pair()
    wide, _ = make_pair(attention_types=[[["global"], 4]])
    ids, _ = left_padded
    with torch.no_grad():
        assert (ours(ids).logits[:, -1] - wide(ids).logits[:, -1]).abs().max() > 1e-3


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    assert_generation_matches(*make_pair(), *left_padded)


def test_decode_plan_and_static_cache(left_padded):
    assert_decode_plan_and_static_cache(*make_pair(), *left_padded)


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    saved = assert_round_trips_both_ways(ours, tmp_path, left_padded[0])
    assert saved["model_type"] == "gpt_neo" and saved["attention_layers"] == ["global", "local"] * 2


def test_config_aliases_and_errors():
    config = GPTNeoConfig(num_hidden_layers=2, num_attention_heads=2, hidden_size=8)
    assert (config.num_layers, config.num_heads) == (2, 2)
    assert config.attention_layers == ["global", "local"]
    reference = transformers.GPTNeoConfig(**TINY).to_dict()
    ours = GPTNeoConfig(**TINY).to_dict()
    for key in ("attention_types", "attention_layers", "window_size", "num_layers", "num_heads"):
        assert ours[key] == reference[key], key
    with pytest.raises(ConfigError, match="describe every layer"):
        GPTNeoConfig(num_layers=3, attention_types=[[["global", "local"], 1]])
    with pytest.raises(ConfigError, match="'global' or 'local'"):
        GPTNeoConfig(num_layers=2, attention_types=[[["global", "sparse"], 1]])
    with pytest.raises(ConfigError, match="pairs like"):
        GPTNeoConfig(num_layers=2, attention_types=[["global", 2]])
    with pytest.raises(ConfigError, match="window_size"):
        GPTNeoConfig(window_size=0)


def test_too_long_input_is_refused():
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        ours(torch.ones(1, 65, dtype=torch.long))
