"""Qwen2 against transformers on tiny random weights: QKV biases, RoPE, generation."""

import warnings

import pytest
import torch

from tfx_core.modeling.torch.cache import DynamicCache

transformers = pytest.importorskip("transformers")

from tfx_plugin_qwen2 import modeling_qwen2  # noqa: E402
from tfx_plugin_qwen2.configuration_qwen2 import Qwen2Config  # noqa: E402

from tfx_core.errors import ConfigError  # noqa: E402
from tfx_core.modeling.torch.fast_paths import fast_paths as fast_paths_enabled  # noqa: E402

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


def make_pair(head="Qwen2ForCausalLM", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.Qwen2Config(**fields)).eval()
    with torch.no_grad():  # the reference initialises biases to zero: make them count
        for name, parameter in reference.named_parameters():
            if name.endswith("bias"):
                parameter.normal_(0.0, 0.5)
    ours = getattr(modeling_qwen2, head)(Qwen2Config(**fields)).eval()
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


def test_only_query_key_value_have_biases():
    ours, _ = make_pair()
    attention, mlp = ours.model.layers[0].self_attn, ours.model.layers[0].mlp
    assert all(getattr(attention, n).bias is not None for n in ("q_proj", "k_proj", "v_proj"))
    assert attention.o_proj.bias is None and mlp.up_proj.bias is None


@pytest.mark.parametrize(
    "overrides",
    [{}, {"rope_scaling": {"rope_type": "linear", "factor": 4.0}}, {"tie_word_embeddings": True}],
    ids=["default", "linear", "tied"],
)
def test_logits_match_reference(overrides, left_padded):
    ours, reference = make_pair(**overrides)
    ids, mask = left_padded
    with torch.no_grad():
        got = ours(ids, attention_mask=mask).logits
        want = reference(ids, attention_mask=mask).logits
    real = mask.bool()
    assert (got[real] - want[real]).abs().max() <= 1e-5


def test_greedy_and_beam_match_reference(left_padded):
    ours, reference = make_pair()
    ids, mask = left_padded
    for options in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0, **options)
        with torch.no_grad():
            assert torch.equal(ours.generate(ids, **kwargs), reference.generate(ids, **kwargs))


SLIDING = {"use_sliding_window": True, "sliding_window": 4, "num_hidden_layers": 3}


@pytest.mark.parametrize(
    "overrides",
    [{"max_window_layers": 1}, {"max_window_layers": 0}, {"max_window_layers": 3}],
    ids=["upper-layers", "all-layers", "none"],
)
def test_sliding_window_layers_match_reference(overrides, left_padded):
    """Sequences longer than the window: logits, then greedy ids with and without fast paths."""
    ours, reference = make_pair(**SLIDING, **overrides)
    assert [layer.self_attn.window for layer in ours.model.layers] == [
        4 if kind == "sliding_attention" else None for kind in reference.config.layer_types
    ]
    ids, mask = left_padded
    with torch.no_grad():
        got = ours(ids, attention_mask=mask).logits
        want = reference(ids, attention_mask=mask).logits
    real = mask.bool()
    assert (got[real] - want[real]).abs().max() <= 1e-5
    kwargs = dict(attention_mask=mask, max_new_tokens=8, do_sample=False, pad_token_id=0)
    for fast_paths in ("1", "0"):
        with pytest.MonkeyPatch.context() as patch, torch.no_grad():
            patch.setenv("TFX_FAST_PATHS", fast_paths)
            got_ids = ours.generate(ids, **kwargs)
        with torch.no_grad():
            assert torch.equal(got_ids, reference.generate(ids, **kwargs)), fast_paths


def test_window_changes_the_logits(left_padded):
    """The window is really applied (a test that could not fail otherwise)."""
    windowed, _ = make_pair(**SLIDING, max_window_layers=0)
    full, _ = make_pair(num_hidden_layers=3)
    ids, _ = left_padded
    with torch.no_grad():
        assert (windowed(ids).logits[:, -1] - full(ids).logits[:, -1]).abs().max() > 1e-3


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"use_sliding_window": True, "sliding_window": 0, "max_window_layers": 1}, "positive"),
        ({"layer_types": ["full_attention"]}, "one entry per layer"),
        ({"layer_types": ["full_attention", "chunked_attention"]}, "unknown layer_types"),
    ],
)
def test_bad_window_settings_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        Qwen2Config(**{**TINY, **overrides})


@pytest.mark.parametrize("cache", [None, "static"])
@pytest.mark.parametrize("fast_paths", [True, False], ids=["fast", "modules"])
def test_bf16_sliding_layers_match_reference_bitwise(cache, fast_paths, left_padded):
    """bf16, a full layer under two sliding ones (window 3, shorter than the prompt): every
    step's scores are the reference's bits, as its sliding cache layers return only the window's
    keys to the attention (a sum over more, masked, keys rounds differently in bf16)."""
    ours, reference = make_pair(
        use_sliding_window=True, sliding_window=3, num_hidden_layers=3, max_window_layers=1
    )
    ours, reference = ours.to(torch.bfloat16), reference.to(torch.bfloat16)
    ids, mask = left_padded
    kwargs = dict(
        attention_mask=mask,
        max_new_tokens=12,
        pad_token_id=0,
        do_sample=False,
        output_scores=True,
        return_dict_in_generate=True,
        cache_implementation=cache,
    )
    with torch.no_grad(), fast_paths_enabled(fast_paths):
        got = ours.generate(ids, **kwargs)
    with torch.no_grad():
        want = reference.generate(ids, **kwargs)
    assert torch.equal(got.sequences, want.sequences)
    assert all(map(torch.equal, got.scores, want.scores))


LONG_RUNS = {
    "greedy": dict(do_sample=False),
    "beam": dict(do_sample=False, num_beams=3),
    "sample": dict(do_sample=True, top_k=20, temperature=0.8),
}
SLIDING_LAYERS = 2  # (max_window_layers=1 of 3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("cache", [None, "static"])
@pytest.mark.parametrize("run", list(LONG_RUNS))
def test_generation_over_several_windows_matches_reference(
    run, cache, dtype, left_padded, monkeypatch
):
    """A full layer under two sliding ones (window 3 under a 9-token prompt), 30 new tokens:
    the sliding layers keep only their window (dynamic: compacted every 4 steps with a
    `window_room` of 1; static: shifted every step); ids and scores are the reference's."""
    ours, reference = make_pair(
        use_sliding_window=True, sliding_window=3, num_hidden_layers=3, max_window_layers=1
    )
    ours, reference = ours.to(dtype), reference.to(dtype)
    ids, mask = left_padded
    monkeypatch.setattr(DynamicCache, "window_room", 1)  # compact every window + 1 steps
    compactions = []
    grow = DynamicCache._grow
    monkeypatch.setattr(
        DynamicCache, "_grow", lambda cache, *args: compactions.append(args) or grow(cache, *args)
    )
    kwargs = dict(
        attention_mask=mask,
        max_new_tokens=30,
        min_new_tokens=30,
        pad_token_id=0,
        output_scores=True,
        return_dict_in_generate=True,
        cache_implementation=cache,
        **LONG_RUNS[run],
    )
    with torch.no_grad():
        torch.manual_seed(7)
        got = ours.generate(ids, **kwargs)
        torch.manual_seed(7)
        want = reference.generate(ids, **kwargs)
    assert len(compactions) >= (0 if cache else 4 * SLIDING_LAYERS)
    assert torch.equal(got.sequences, want.sequences)
    for mine, theirs in zip(got.scores, want.scores, strict=True):
        if dtype == torch.bfloat16 and run != "beam":
            assert torch.equal(mine, theirs)
        else:  # (fp32 and beam sums: parity, not bits, is the bar)
            torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)
