"""Mistral against transformers on tiny random weights: the sliding window, in forward and decoding."""

import warnings

import pytest
import torch

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
