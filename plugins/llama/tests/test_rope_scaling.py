"""YaRN and LongRoPE against transformers: the cos/sin tables, Llama logits and greedy ids."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_llama import modeling_llama  # noqa: E402
from tfx_plugin_llama.configuration_llama import LlamaConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.torch.rotary import RotaryEmbedding  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    max_position_embeddings=32,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
HALF = 8  # rotary channels / 2 (head_dim 16)
SHORT = [1.0 + 0.25 * i for i in range(HALF)]
LONG = [2.0 + 1.5 * i for i in range(HALF)]

VARIANTS = {
    "yarn": {"rope_scaling": {"rope_type": "yarn", "factor": 4.0}},
    "yarn-original": {
        "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8}
    },
    "yarn-mscale": {
        "rope_scaling": {
            "rope_type": "yarn",
            "factor": 8.0,
            "mscale": 0.707,
            "mscale_all_dim": 1.0,
            "beta_fast": 16.0,
            "beta_slow": 2.0,
        }
    },
    "yarn-untruncated": {
        "rope_scaling": {
            "rope_type": "yarn",
            "factor": 3.0,
            "attention_factor": 1.3,
            "truncate": False,
            "original_max_position_embeddings": 16,
        },
        "rope_theta": 500.0,
    },
    "longrope": {
        "rope_scaling": {
            "rope_type": "longrope",
            "factor": 4.0,
            "short_factor": SHORT,
            "long_factor": LONG,
        },
        "max_position_embeddings": 12,
    },
    "longrope-phi3": {  # the config's own original context sets the switch and the scale
        "rope_scaling": {"rope_type": "longrope", "short_factor": SHORT, "long_factor": LONG},
        "max_position_embeddings": 64,
        "original_max_position_embeddings": 12,
    },
    "longrope-attention-factor": {
        "rope_scaling": {
            "rope_type": "longrope",
            "factor": 2.0,
            "attention_factor": 0.9,
            "short_factor": SHORT,
            "long_factor": LONG,
        },
        "max_position_embeddings": 12,
    },
}


def configs(overrides):
    fields = {**TINY, **overrides}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = transformers.LlamaConfig(**fields)
    return LlamaConfig(**fields), reference


def make_pair(overrides):
    ours_config, reference_config = configs(overrides)
    torch.manual_seed(0)
    reference = transformers.LlamaForCausalLM(reference_config).eval()
    ours = modeling_llama.LlamaForCausalLM(ours_config).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, reference


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("length", [6, 20], ids=["short", "long"])
def test_tables_match_reference(name, length):
    ours_config, reference_config = configs(VARIANTS[name])
    ours = RotaryEmbedding(ours_config)
    reference = transformers.models.llama.modeling_llama.LlamaRotaryEmbedding(reference_config)
    positions = torch.arange(length).unsqueeze(0)
    cos, sin = ours(positions, torch.float32)
    want_cos, want_sin = reference(torch.zeros(1, dtype=torch.float32), positions)
    assert torch.equal(cos, want_cos) and torch.equal(sin, want_sin)
    assert ours.attention_factor == pytest.approx(reference.attention_scaling, abs=0, rel=0)


def test_longrope_switches_to_long_factors_past_the_trained_context():
    ours = RotaryEmbedding(configs(VARIANTS["longrope"])[0])
    inside = ours(torch.arange(12).unsqueeze(0), torch.float32)[0]
    past = ours(torch.arange(13).unsqueeze(0), torch.float32)[0]
    assert not torch.allclose(inside[0, 5], past[0, 5])


@pytest.mark.parametrize("name", VARIANTS)
def test_logits_match_reference(name):
    ours, reference = make_pair(VARIANTS[name])
    ids = torch.randint(3, 99, (2, 20), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, want = ours(ids).logits, reference(ids).logits
    assert (got - want).abs().max() <= 1e-5


@pytest.mark.parametrize("fast_paths", ["1", "0"])
@pytest.mark.parametrize("name", ["yarn-mscale", "longrope-phi3"])
def test_greedy_ids_match_reference_across_the_switch(name, fast_paths, monkeypatch):
    """A prompt inside the trained context, generation past it (longrope switches mid-way)."""
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    ours, reference = make_pair(VARIANTS[name])
    ids = torch.randint(3, 99, (1, 8), generator=torch.Generator().manual_seed(2))
    kwargs = dict(max_new_tokens=10, do_sample=False, pad_token_id=0, eos_token_id=None)
    with torch.no_grad():
        got = ours.generate(ids, **kwargs)
        want = reference.generate(ids, **kwargs)
    assert torch.equal(got, want)


@pytest.mark.parametrize(
    "scaling, message",
    [
        ({"rope_type": "yarn"}, "factor"),
        ({"rope_type": "longrope", "factor": 2.0, "long_factor": LONG}, "short_factor"),
        ({"rope_type": "longrope", "short_factor": SHORT, "long_factor": [1.0]}, "long_factor"),
    ],
)
def test_bad_scaling_is_a_config_error(scaling, message):
    with pytest.raises(ConfigError, match=message):
        RotaryEmbedding(LlamaConfig(**{**TINY, "rope_scaling": scaling}))
