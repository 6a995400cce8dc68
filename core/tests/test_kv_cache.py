"""KV caches: dynamic growth without quadratic copying, static fixed shapes, beam reordering."""

import pytest
import torch

from tfx_core.modeling.torch.cache import DynamicCache, StaticCache


def kv(batch=2, heads=3, length=1, dim=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, length, dim)
    return torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)


def test_dynamic_cache_equals_concatenation_and_grows_geometrically():
    cache = DynamicCache()
    keys_seen, values_seen, buffers = [], [], set()
    for step in range(100):
        key, value = kv(length=3 if step == 0 else 1, seed=step)
        keys_seen.append(key)
        values_seen.append(value)
        for layer in range(2):
            keys, values = cache.update(key, value, layer)
        buffers.add(cache._keys[0].data_ptr())
        assert torch.equal(keys, torch.cat(keys_seen, dim=2))
        assert torch.equal(values, torch.cat(values_seen, dim=2))
    assert cache.get_seq_length() == 102 and cache.get_seq_length(1) == 102
    assert len(buffers) <= 8  # O(log n) reallocations, not one per step
    assert len(cache) == 2 and len(cache.to_legacy_cache()) == 2


def test_presized_dynamic_cache_never_reallocates():
    cache = DynamicCache(capacity=20)
    cache.update(*kv(length=5), 0)
    pointer = cache._keys[0].data_ptr()
    for step in range(15):
        keys, _ = cache.update(*kv(seed=step), 0)
    assert cache._keys[0].data_ptr() == pointer and keys.shape[2] == 20


def test_dynamic_cache_reorder_crop_and_legacy():
    cache = DynamicCache()
    key, value = kv(batch=3, length=4)
    cache.update(key, value, 0)
    cache.reorder(torch.tensor([2, 2, 0]))
    keys, values = cache[0]
    assert torch.equal(keys, key[[2, 2, 0]]) and torch.equal(values, value[[2, 2, 0]])
    cache.crop(2)
    assert cache.get_seq_length() == 2
    again = DynamicCache.from_legacy_cache(cache.to_legacy_cache())
    assert torch.equal(again[0][0], keys[:, :, :2])
    with pytest.raises(IndexError):
        cache.update(key, value, 5)


def test_static_cache_fixed_shapes_and_positions():
    cache = StaticCache(num_layers=1, max_batch_size=2, max_cache_len=8, num_heads=3, head_dim=4)
    key, value = kv(length=3)
    keys, _ = cache.update(key, value, 0)
    assert keys.shape == (2, 3, 8, 4) and cache.get_seq_length() == 3
    assert torch.equal(keys[:, :, :3], key) and torch.count_nonzero(keys[:, :, 3:]) == 0
    step_key, step_value = kv(seed=1)
    keys, _ = cache.update(step_key, step_value, 0, {"cache_position": torch.tensor([3])})
    assert torch.equal(keys[:, :, 3:4], step_key) and cache.get_seq_length() == 4
    cache.reorder(torch.tensor([1, 0]))
    assert torch.equal(cache[0][0][:, :, :3], key[[1, 0]])
    with pytest.raises(ValueError):
        cache.update(*kv(length=5), 0)
    cache.reset()
    assert cache.get_seq_length() == 0 and cache.get_max_cache_shape() == 8


def test_dynamic_cache_views_share_its_buffers_and_values_may_be_narrower():
    """`update` writes and returns views of the layer's buffers (values of another width, as
    models with a smaller value head have, keep their own layout), across a reallocation."""
    cache = DynamicCache(capacity=2)
    keys_seen, values_seen = [], []
    for _ in range(5):
        key = torch.randn(2, 3, 1, 8)
        value = torch.randn(2, 3, 1, 4)
        keys_seen.append(key)
        values_seen.append(value)
        keys, values = cache.update(key, value, 0)
        assert keys.data_ptr() == cache._keys[0].data_ptr()
        assert values.data_ptr() == cache._values[0].data_ptr()
        assert torch.equal(keys, torch.cat(keys_seen, dim=2))
        assert torch.equal(values, torch.cat(values_seen, dim=2))
    stored_keys, stored_values = cache[0]
    assert torch.equal(stored_keys, keys) and torch.equal(stored_values, values)


def test_dynamic_cache_update_carries_gradients():
    cache = DynamicCache(capacity=4)
    first, second = torch.randn(1, 2, 1, 3, requires_grad=True), torch.randn(1, 2, 1, 3)
    cache.update(first, first * 2, 0)
    keys, values = cache.update(second, second, 0)
    (keys.sum() + values.sum()).backward()
    assert torch.equal(first.grad, torch.full_like(first, 3.0))
