"""Sliding-window cache layers return the keys the reference's sliding layers return, so the
attention sums over the same keys (in bf16 a sum over more, masked, keys rounds differently)."""

import types
import warnings

import pytest
import torch

from tfx_core.errors import ConfigError, GenerationError
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
        assert torch.equal(cache[0][0], everything[:, :, -2:])  # the window - 1 latest
    assert cache.get_seq_length(0) == sum(STEPS) == cache.get_seq_length(1)
    assert torch.equal(cache[1][0], torch.cat(seen, dim=2))  # a full layer keeps everything
    assert [part.shape[2] for part in cache.to_legacy_cache()[0]] == [2, 2]


@pytest.mark.parametrize("window", [5, 70])
@pytest.mark.parametrize("capacity", [0, 500])
def test_dynamic_window_layer_memory_stays_bounded(capacity, window):
    """Hundreds of steps (a long prompt, then one and a few tokens at a time): the layer keeps
    `window - 1` positions, its buffers never exceed `window + max(window, 64)` slots (or the
    window plus a longer call's new ones), and it reallocates about once per window, not per
    step."""
    seen, buffers, slots = [], set(), window + max(window, 64)
    cache = DynamicCache(capacity=capacity, windows=[window])
    for step in range(400):
        length = 150 if step == 0 else (3 if step % 37 == 0 else 1)
        key, value = kv(length, step)
        seen.append(key)
        keys, values = cache.update(key, value, 0)
        everything = torch.cat(seen, dim=2)
        first = max(everything.shape[2] - length - window + 1, 0)
        assert torch.equal(keys, everything[:, :, first:])
        assert keys.shape[2] == values.shape[2] <= window - 1 + length
        assert cache[0][0].shape[2] == cache[0][1].shape[2] == min(everything.shape[2], window - 1)
        if step > 0:
            assert cache._keys[0].shape[2] <= max(slots, window - 1 + length)
            assert cache._values[0].shape[2] == cache._keys[0].shape[2]
        buffers.add(cache._keys[0].data_ptr())
    assert cache.get_seq_length() == everything.shape[2]
    assert len(buffers) < 2 * everything.shape[2] / window  # compacted now and then
    assert cache._keys[0].untyped_storage().nbytes() <= slots * keys[:, :, :1].nbytes


def test_window_views_stay_valid_after_later_updates():
    """Compaction moves the kept positions to a fresh buffer: keys returned earlier keep
    their values (as the reference's, which are new tensors every step)."""
    cache = DynamicCache(windows=[3])
    returned = []
    for step in range(20):
        keys, _ = cache.update(*kv(1, step), 0)
        returned.append((keys, keys.clone()))
    assert all(torch.equal(view, copy) for view, copy in returned)


def reference_dynamic(transformers, **fields):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = transformers.Qwen2Config(
            num_attention_heads=2, num_key_value_heads=2, hidden_size=8, **fields
        )
        return transformers.DynamicCache(config=config), sliding_windows(config)


def test_dynamic_layers_match_the_reference_step_by_step():
    """A full layer between sliding ones, a prompt longer than the window, then many steps
    (several windows, a few multi-token ones, beam reorders): every returned key and value,
    `get_seq_length` and what each layer keeps are the reference's."""
    transformers = pytest.importorskip("transformers")
    reference, windows = reference_dynamic(
        transformers,
        num_hidden_layers=3,
        use_sliding_window=True,
        sliding_window=4,
        max_window_layers=1,
    )
    assert windows == [None, 4, 4]
    ours = DynamicCache(capacity=12, windows=windows)
    generator = torch.Generator().manual_seed(5)
    for step in range(60):
        length = 7 if step == 0 else (2 if step % 11 == 0 else 1)
        for layer in range(3):
            key, value = kv(length, 100 * step + layer, batch=3)
            want = reference.update(key, value, layer)
            got = ours.update(key, value, layer)
            assert all(map(torch.equal, got, want)), (step, layer)
            assert ours.get_seq_length(layer) == reference.get_seq_length(layer)
        if step % 5 == 4:
            beams = torch.randint(0, 3, (3,), generator=generator)
            reference.reorder_cache(beams)
            ours.reorder(beams)
        for layer in range(3):
            mine, theirs = ours[layer], reference.layers[layer]
            assert torch.equal(mine[0], theirs.keys) and torch.equal(mine[1], theirs.values)


def test_crop_a_window_layer_like_the_reference():
    transformers = pytest.importorskip("transformers")
    reference, windows = reference_dynamic(
        transformers,
        num_hidden_layers=2,
        use_sliding_window=True,
        sliding_window=6,
        max_window_layers=0,
    )
    assert windows == [6, 6]
    ours = DynamicCache(windows=windows)
    for cache in (ours, reference):
        for layer in range(2):
            cache.update(*kv(4, layer), layer)
            cache.update(*kv(1, 10 + layer), layer)
        cache.crop(3)
        assert cache.get_seq_length() == 3
        cache.crop(-1)
    for layer in range(2):
        key, value = kv(1, 20 + layer)
        assert all(
            map(torch.equal, ours.update(key, value, layer), reference.update(key, value, layer))
        )
        assert ours.key_start(layer) == 0
    ours.crop(10)  # nothing to forget: a no-op
    for step in range(4):  # reach the window: positions are dropped from here on
        for layer in range(2):
            ours.update(*kv(1, 30 + step), layer)
    assert ours.get_seq_length() == 7
    with pytest.raises(GenerationError, match="window 6"):
        ours.crop(5)
    with pytest.raises(ValueError):  # (the reference's refusal, for comparison)
        for layer in range(2):
            reference.update(*kv(4, layer), layer)
        reference.crop(5)
    assert ours.get_seq_length() == 7 and ours[0][0].shape[2] == 5  # nothing was cropped
    full = DynamicCache(windows=[None, 2])
    full.update(*kv(4, 0), 0)
    full.update(*kv(1, 0), 1)
    full.crop(2)  # the sliding layer is under its window: both crop
    assert [full.get_seq_length(layer) for layer in range(2)] == [2, 1]


def test_legacy_round_trip_keeps_what_the_layers_keep():
    cache = DynamicCache(windows=[3, None])
    for step in range(6):
        for layer in range(2):
            cache.update(*kv(1, step), layer)
    legacy = cache.to_legacy_cache()
    assert legacy[0][0].shape[2] == 2 and legacy[1][0].shape[2] == 6
    again = DynamicCache.from_legacy_cache(legacy)
    assert again.windows is None and again.get_seq_length(0) == 2  # tuples carry no count
    assert torch.equal(again[0][0], legacy[0][0])


LONG = STEPS + [1] * 20 + [3, 1, 1]  # several windows, and a three-token step when full


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
        total = sum(LONG)
        if static:
            reference = transformers.StaticCache(config=config, max_cache_len=total + 1)
            ours = StaticCache(
                num_layers=1,
                max_batch_size=2,
                max_cache_len=total + 1,
                num_heads=2,
                head_dim=4,
                windows=sliding_windows(config),
            )
            assert ours[0][0].shape[2] == 3  # the window's slots only, as the reference's
        else:
            reference = transformers.DynamicCache(config=config)
            ours = DynamicCache(windows=sliding_windows(config))
    position = 0
    for step, length in enumerate(LONG):
        key, value = kv(length, step)
        where = {"cache_position": torch.arange(position, position + length)}
        want = reference.update(key, value, 0, where)
        got = ours.update(key, value, 0, where if static else None)
        position += length
        assert ours.get_seq_length() == position
        for mine, theirs in zip(got, want):
            if static:  # slots the reference has not written are zeros, ours unwritten
                assert mine.shape == theirs.shape
                written = min(position - ours.key_start(0), mine.shape[2])
                mine, theirs = mine[:, :, :written], theirs[:, :, :written]
            assert torch.equal(mine, theirs), (step, mine.shape, theirs.shape)
    if static:
        with pytest.raises(ValueError, match="continues from position"):
            ours.update(*kv(1, 0), 0, {"cache_position": torch.tensor([position - 2])})


@pytest.mark.parametrize("static", [False, True])
def test_attention_cuts_the_bias_to_the_keys_the_cache_returns(static):
    """Decoding through a sliding cache gives what one forward over the sequence gives."""
    torch.manual_seed(0)
    heads, width, window, total = 2, 8, 3, sum(LONG)
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
    for length in LONG:
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
