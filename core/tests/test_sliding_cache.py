"""Sliding-window cache layers return the keys the reference's sliding layers return, so the
attention sums over the same keys (in bf16 a sum over more, masked, keys rounds differently)."""

import types
import warnings

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.blocks.functional import causal_self_attention
from tfx_core.modeling.torch.cache import DynamicCache, StaticCache, sliding_windows
from tfx_core.modeling.torch.masks import attention_bias, sliding_window_bias


def kv(length, seed, batch=2, heads=2, dim=4):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, length, dim)
    return torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)


STEPS = [5, 1, 1, 1, 2, 1, 1, 1, 1]  # a prompt longer than the window, steps, a two-token step


def test_sliding_windows_follows_the_reference_rule():
    config = types.SimpleNamespace
    assert sliding_windows(config(sliding_window=4, num_hidden_layers=3)) == [4, 4, 4]
    kinds = ["full_attention", "sliding_attention"]
    assert sliding_windows(config(sliding_window=4, layer_types=kinds)) == [None, 4]
    assert sliding_windows(config(sliding_window=4, layer_types=kinds[:1])) is None
    assert sliding_windows(config(attention_chunk_size=8, num_hidden_layers=1)) == [8]
    assert sliding_windows(config(sliding_window=None, num_hidden_layers=2)) is None
    assert sliding_windows(config(window_size=4, num_hidden_layers=2)) is None  # GPT-Neo
    with pytest.raises(ConfigError, match="positive"):
        DynamicCache(windows=[0])


def test_dynamic_window_layer_returns_the_window_before_the_new_keys():
    cache = DynamicCache(windows=[3, None])
    seen = []
    for step, length in enumerate(STEPS):
        key, value = kv(length, step)
        seen.append(key)
        everything = torch.cat(seen, dim=2)
        start = max(everything.shape[2] - length - 2, 0)
        keys, _ = cache.update(key, value, 0)
        assert cache.key_start(0) == start
        assert torch.equal(keys, everything[:, :, start:])
        full, _ = cache.update(key, value, 1)
        assert cache.key_start(1) == 0 and torch.equal(full, everything)
    assert cache.get_seq_length(0) == sum(STEPS)
    assert torch.equal(cache[0][0], torch.cat(seen, dim=2))  # every position is kept
    cache.crop(6)
    keys, _ = cache.update(*kv(1, 99), 0)
    assert cache.key_start(0) == 4 and keys.shape[2] == 3


@pytest.mark.parametrize("static", [False, True])
def test_window_layers_return_the_reference_caches_keys(static):
    transformers = pytest.importorskip("transformers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = transformers.MistralConfig(
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            hidden_size=8,
            sliding_window=3,
        )
        total = sum(STEPS)
        if static:
            reference = transformers.StaticCache(config=config, max_cache_len=total)
            ours = StaticCache(
                num_layers=1,
                max_batch_size=2,
                max_cache_len=total,
                num_heads=2,
                head_dim=4,
                windows=sliding_windows(config),
            )
        else:
            reference = transformers.DynamicCache(config=config)
            ours = DynamicCache(windows=sliding_windows(config))
    position = 0
    for step, length in enumerate(STEPS):
        key, value = kv(length, step)
        where = {"cache_position": torch.arange(position, position + length)}
        want = reference.update(key, value, 0, where)
        got = ours.update(key, value, 0)
        position += length
        for mine, theirs in zip(got, want):
            if static:  # slots the reference has not written are zeros, ours unwritten
                assert mine.shape == theirs.shape
                written = min(position - ours.key_start(0), mine.shape[2])
                mine, theirs = mine[:, :, :written], theirs[:, :, :written]
            assert torch.equal(mine, theirs), (step, mine.shape, theirs.shape)


@pytest.mark.parametrize("static", [False, True])
def test_attention_cuts_the_bias_to_the_keys_the_cache_returns(static):
    """Decoding through a sliding cache gives what one forward over the sequence gives."""
    torch.manual_seed(0)
    heads, width, window, total = 2, 8, 3, sum(STEPS)
    project = torch.nn.Linear(width, 3 * width)
    args = dict(
        qkv=lambda x: project(x).split(width, dim=-1),
        output=lambda x: x,
        heads=heads,
        kv_heads=heads,
        layer_idx=0,
    )
    hidden = torch.randn(2, total, width)
    mask = torch.ones(2, total, dtype=torch.long)
    mask[1, :2] = 0
    bias, _ = attention_bias(
        mask, query_length=total, dtype=hidden.dtype, device="cpu", causal=True
    )
    bias, _ = sliding_window_bias(bias, False, window, 0, total, hidden)
    want, _ = causal_self_attention(hidden, bias=bias, **args)
    if static:
        cache = StaticCache(
            num_layers=1,
            max_batch_size=2,
            max_cache_len=total,
            num_heads=heads,
            head_dim=width // heads,
            windows=[window],
        )
    else:
        cache = DynamicCache(windows=[window])
    position, pieces = 0, []
    for length in STEPS:
        bias, _ = attention_bias(
            mask[:, : position + length],
            query_length=length,
            dtype=hidden.dtype,
            device="cpu",
            causal=True,
            past_length=position,
            key_length=total if static else None,
        )
        piece, _ = causal_self_attention(
            hidden[:, position : position + length],
            cache=cache,
            bias=bias,
            window=window,
            **args,
        )
        pieces.append(piece)
        position += length
    got = torch.cat(pieces, dim=1)
    assert cache.key_start(0) == total - window
    assert torch.allclose(got[0], want[0], atol=1e-6)
    assert torch.allclose(got[1, 2:], want[1, 2:], atol=1e-6)
