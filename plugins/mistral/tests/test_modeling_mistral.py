"""Mistral against transformers on tiny random weights: the sliding window, in forward and decoding."""

import warnings

import pytest
import torch

from tfx_core.modeling.torch.cache import DynamicCache

transformers = pytest.importorskip("transformers")

from tfx_plugin_mistral import modeling_mistral  # noqa: E402
from tfx_plugin_mistral.configuration_mistral import MistralConfig  # noqa: E402

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
    sliding_window=4,
)


def make_pair(head="MistralForCausalLM", **overrides):
    fields = {**TINY, **overrides}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference = getattr(transformers, head)(transformers.MistralConfig(**fields)).eval()
    ours = getattr(modeling_mistral, head)(MistralConfig(**fields)).eval()
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


@pytest.mark.parametrize("window", [4, None], ids=["window-4", "no-window"])
def test_logits_match_reference(window, left_padded):
    ours, reference = make_pair(sliding_window=window)
    ids, mask = left_padded
    with torch.no_grad():
        got = ours(ids, attention_mask=mask).logits
        want = reference(ids, attention_mask=mask).logits
        full = ours(ids).logits
        assert (full - reference(ids).logits).abs().max() <= 1e-5
    real = mask.bool()
    assert (got[real] - want[real]).abs().max() <= 1e-5


def test_window_changes_the_result(left_padded):
    windowed, _ = make_pair(sliding_window=4)
    unwindowed, _ = make_pair(sliding_window=None)
    ids, _ = left_padded
    with torch.no_grad():
        assert (windowed(ids).logits[:, -1] - unwindowed(ids).logits[:, -1]).abs().max() > 1e-3


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_greedy_and_beam_match_reference(fast_paths, left_padded, monkeypatch):
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    ours, reference = make_pair()
    ids, mask = left_padded
    for options in ({"do_sample": False}, {"do_sample": False, "num_beams": 3}):
        kwargs = dict(attention_mask=mask, max_new_tokens=8, pad_token_id=0, **options)
        with torch.no_grad():
            assert torch.equal(ours.generate(ids, **kwargs), reference.generate(ids, **kwargs))


@pytest.mark.parametrize("cache", [None, "static"])
@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_bf16_window_shorter_than_the_prompt_matches_reference_bitwise(
    cache, fast_paths, left_padded, monkeypatch
):
    """bf16, left padding, a window of 4 under a 9-token prompt: every step's scores are the
    reference's bits and the ids identical. The reference's sliding cache layers attend over the
    window's keys only; summing over every cached key (the older ones masked) rounds differently
    (before the cache's `windows`, row 1's last token flipped)."""
    monkeypatch.setenv("TFX_FAST_PATHS", fast_paths)
    ours, reference = make_pair()
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
    with torch.no_grad():
        got, want = ours.generate(ids, **kwargs), reference.generate(ids, **kwargs)
    assert torch.equal(got.sequences, want.sequences)
    assert all(map(torch.equal, got.scores, want.scores))


LONG_RUNS = {
    "greedy": dict(do_sample=False),
    "beam": dict(do_sample=False, num_beams=3),
    "sample": dict(do_sample=True, top_k=20, temperature=0.8),
}
SLIDING_LAYERS = 2  # every layer slides


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("cache", [None, "static"])
@pytest.mark.parametrize("run", list(LONG_RUNS))
def test_generation_over_several_windows_matches_reference(
    run, cache, dtype, left_padded, monkeypatch
):
    """A window of 4 under a 9-token prompt and 30 new tokens: the sliding cache layers keep
    only the window (dynamic: compacted every 5 steps with a `window_room` of 1; static: shifted
    every step); ids and scores are the reference's."""
    ours, reference = make_pair()
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


def test_step_by_step_decoding_keeps_only_the_window(left_padded):
    """Forward calls with `past_key_values` over 80 steps (twenty windows): each step's logits
    are the reference's, `get_seq_length` counts every position, and every layer of the cache
    holds only the `window - 1` latest positions in a buffer that stops growing."""
    ours, reference = make_pair()
    ids, mask = left_padded
    with torch.no_grad():
        got = ours(ids, attention_mask=mask, use_cache=True)
        want = reference(ids, attention_mask=mask, use_cache=True)
        cache, theirs = got.past_key_values, want.past_key_values
        slots = set()
        for step in range(80):
            token = got.logits[:, -1].argmax(-1, keepdim=True)
            assert torch.equal(token, want.logits[:, -1].argmax(-1, keepdim=True))
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            got = ours(token, attention_mask=mask, past_key_values=cache, use_cache=True)
            want = reference(token, attention_mask=mask, past_key_values=theirs, use_cache=True)
            assert (got.logits - want.logits).abs().max() <= 1e-5
            assert cache.get_seq_length() == theirs.get_seq_length() == 10 + step
            for layer in range(TINY["num_hidden_layers"]):
                keys, kept = cache[layer][0], TINY["sliding_window"] - 1
                assert keys.shape[2] == kept == theirs.layers[layer].keys.shape[2]
                real = mask[:, -kept:].bool()  # (padding's keys differ, and are masked)
                mine, reference_keys = keys.transpose(1, 2), theirs.layers[layer].keys
                torch.testing.assert_close(
                    mine[real], reference_keys.transpose(1, 2)[real], atol=1e-5, rtol=0
                )
            if step >= 10:
                slots.add(cache._keys[0].shape[2])
    assert max(slots) <= TINY["sliding_window"] + 64  # bounded, whatever the length
