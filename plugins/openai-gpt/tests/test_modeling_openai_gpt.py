"""OpenAI GPT against transformers on tiny random weights: every head, generation, round trips."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_openai_gpt import modeling_openai_gpt  # noqa: E402
from tfx_plugin_openai_gpt.configuration_openai_gpt import OpenAIGPTConfig  # noqa: E402

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
    pad_token_id=0,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
)
HEADS = [
    "OpenAIGPTModel",
    "OpenAIGPTLMHeadModel",
    "OpenAIGPTForSequenceClassification",
    "OpenAIGPTDoubleHeadsModel",
]


def make_pair(head="OpenAIGPTLMHeadModel", **overrides):
    return decoder_pair(modeling_openai_gpt, OpenAIGPTConfig, head, {**TINY, **overrides})


@pytest.fixture
def left_padded():
    return left_padded_batch()


@pytest.mark.parametrize("afn", ["gelu", "relu", "swish"])
@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, afn, left_padded):
    assert_heads_match(*make_pair(head, afn=afn), *left_padded, same_keys=True)


def test_double_heads_over_choices_with_losses():
    ours, reference = make_pair("OpenAIGPTDoubleHeadsModel", summary_first_dropout=0.0)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 99, (2, 3, 7), generator=generator)
    inputs = dict(
        mc_token_ids=torch.tensor([[6, 4, 2], [1, 6, 5]]),
        labels=torch.randint(0, 99, (2, 3, 7), generator=generator),
        mc_labels=torch.tensor([0, 2]),
    )
    with torch.no_grad():
        got, want = ours(ids, **inputs), reference(ids, **inputs)
    assert got.mc_logits.shape == (2, 3) and got.logits.shape == (2, 3, 7, 99)
    for key in ("loss", "mc_loss", "logits", "mc_logits"):
        assert (got[key] - want[key]).abs().max() <= 1e-5, key


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_generation_matches_reference(fast_paths, left_padded, monkeypatch):
    """The reference has no cache and numbers positions from the first column even when it
    is padding; tfx decodes with a cache and gives the same ids."""
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    assert_generation_matches(*make_pair(), *left_padded)


def test_decode_plan_and_static_cache(left_padded):
    # post-norm layers, no final norm
    assert_decode_plan_and_static_cache(*make_pair(), *left_padded)


def test_round_trips_both_ways(tmp_path, left_padded):
    ours, _ = make_pair()
    saved = assert_round_trips_both_ways(ours, tmp_path, left_padded[0])
    assert saved["model_type"] == "openai-gpt" and saved["afn"] == "gelu"


def test_config_errors_and_aliases():
    config = OpenAIGPTConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=3)
    assert (config.n_embd, config.n_head, config.n_layer) == (16, 2, 3)
    assert OpenAIGPTConfig().mlp_activation == "gelu_new"  # OpenAI GPT's "gelu" is tanh-GELU
    with pytest.raises(ConfigError, match="afn"):
        OpenAIGPTConfig(afn="gelu_magic")
    with pytest.raises(ConfigError, match="divisible"):
        OpenAIGPTConfig(n_embd=30, n_head=4)
    ours, _ = make_pair()
    with pytest.raises(ConfigError, match="n_positions"):
        ours(torch.ones(1, 65, dtype=torch.long))
