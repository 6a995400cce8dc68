"""Llama against transformers on tiny random weights: RoPE variants, config flags, generation."""

import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")

from tfx_plugin_llama import modeling_llama  # noqa: E402
from tfx_plugin_llama.configuration_llama import LlamaConfig  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
LLAMA3 = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 16,
}


def make_pair(head="LlamaForCausalLM", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.LlamaConfig(**fields)).eval()
    ours = getattr(modeling_llama, head)(LlamaConfig(**fields)).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, reference


@pytest.fixture
def left_padded():
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (3, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    mask[2, :8] = 0
    ids[mask == 0] = 0
    return ids, mask


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"rope_scaling": {"rope_type": "linear", "factor": 2.0}},
        {"rope_scaling": {"type": "dynamic", "factor": 2.0}, "max_position_embeddings": 8},
        {"rope_scaling": LLAMA3, "rope_theta": 500000.0},
        {"attention_bias": True, "mlp_bias": True},
        {"tie_word_embeddings": True, "num_key_value_heads": 1},
        {"head_dim": 16},
    ],
    ids=["default", "linear", "dynamic", "llama3", "biases", "tied-mqa", "head_dim"],
)
def test_logits_match_reference(overrides, left_padded):
    ours, reference = make_pair(**overrides)
    ids, mask = left_padded
    with torch.no_grad():
        got = ours(ids, attention_mask=mask).logits
        want = reference(ids, attention_mask=mask).logits
    real = mask.bool()  # padded rows attend to nothing: their values are arbitrary
    assert (got[real] - want[real]).abs().max() <= 1e-5


@pytest.mark.parametrize("fast_paths", ["1", "0"])
@pytest.mark.parametrize("overrides", [{}, {"rope_scaling": LLAMA3}], ids=["default", "llama3"])
def test_greedy_and_beam_match_reference(overrides, fast_paths, left_padded, monkeypatch):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    ours, reference = make_pair(**overrides)
    ids, mask = left_padded
    for options in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0, **options)
        with torch.no_grad():
            got = ours.generate(ids, **kwargs)
            want = reference.generate(ids, **kwargs)
        assert torch.equal(got, want), options


def test_decode_plan_covers_rotary_layers():
    ours, _ = make_pair()
    with torch.no_grad():
        ours._prepare_for_decoding()
    assert ours.__dict__["_decode_plan"] is not None


def test_round_trip_through_transformers(tmp_path, left_padded):
    ours, _ = make_pair(tie_word_embeddings=True)
    ours.save_pretrained(tmp_path / "ours")
    theirs = transformers.LlamaForCausalLM.from_pretrained(tmp_path / "ours").eval()
    theirs.save_pretrained(tmp_path / "theirs")
    back = modeling_llama.LlamaForCausalLM.from_pretrained(tmp_path / "theirs").eval()
    ids, _ = left_padded
    with torch.no_grad():
        want = theirs(ids).logits
        assert (ours(ids).logits - want).abs().max() <= 1e-5
        assert (back(ids).logits - want).abs().max() <= 1e-5


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"rope_scaling": {"rope_type": "su", "factor": 2.0}}, "not supported"),
        ({"rope_scaling": {"rope_type": "linear"}}, "factor"),
        ({"rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, "missing"),
    ],
)
def test_bad_rope_scaling_is_a_config_error(overrides, message):
    with pytest.raises(ConfigError, match=message):
        modeling_llama.LlamaModel(LlamaConfig(**{**TINY, **overrides}))


def test_grouped_heads_must_divide():
    with pytest.raises(ConfigError, match="multiple of num_key_value_heads"):
        LlamaConfig(**{**TINY, "num_key_value_heads": 3}).validate()


def test_output_embeddings_and_resizing_match_the_reference():
    ours, reference = make_pair(tie_word_embeddings=False)
    assert ours.get_output_embeddings() is ours.lm_head
    for model in (ours, reference):
        model.resize_token_embeddings(105)
    assert ours.lm_head.weight.shape == reference.lm_head.weight.shape == (105, 32)
    assert torch.equal(ours.lm_head.weight[:99], reference.lm_head.weight[:99])
    fresh = torch.nn.Linear(32, 105, bias=False)
    ours.set_output_embeddings(fresh)
    assert ours.get_output_embeddings() is fresh and ours.lm_head is fresh
    ids = torch.tensor([[5, 6, 98]])  # (the new rows are initialised at random by each)
    reference.lm_head = fresh
    with torch.no_grad():
        ours_logits, reference_logits = ours(ids).logits, reference(ids).logits
    assert ours_logits.shape == (1, 3, 105)
    assert (ours_logits - reference_logits).abs().max() < 1e-5
