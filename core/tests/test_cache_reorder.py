"""Beam reordering of the decoder caches: only changed rows move, results as a full gather."""

from __future__ import annotations

import pytest
import torch

from tfx_core.modeling.torch.cache import CrossAttentionCache, DynamicCache


def _filled_cache(rows: int, layers: int = 2, length: int = 3) -> DynamicCache:
    generator = torch.Generator().manual_seed(0)
    cache = DynamicCache(capacity=8)
    for layer in range(layers):
        cache.update(
            torch.randn(rows, 2, length, 4, generator=generator),
            torch.randn(rows, 2, length, 4, generator=generator),
            layer,
        )
    return cache


@pytest.mark.parametrize(
    "beam_idx",
    [
        [0, 1, 2, 3, 4, 5, 6, 7],  # nothing moves
        [0, 0, 2, 3, 4, 5, 6, 6],  # a few rows copy a neighbour (partial path)
        [1, 0, 3, 2, 5, 4, 7, 6],  # every row moves (whole-gather path)
        [7, 7, 7, 7, 0, 0, 0, 0],
    ],
)
def test_reorder_matches_a_full_gather(beam_idx: list[int]) -> None:
    cache = _filled_cache(8)
    index = torch.tensor(beam_idx)
    expected = [(k.index_select(0, index), v.index_select(0, index)) for k, v in cache]
    cache.reorder(index)
    for (key, value), (want_key, want_value) in zip(cache, expected):
        assert torch.equal(key, want_key) and torch.equal(value, want_value)
    # later steps append after the reordered rows
    key, _ = cache.update(torch.zeros(8, 2, 1, 4), torch.zeros(8, 2, 1, 4), 0)
    assert torch.equal(key[:, :, :3], expected[0][0]) and key.shape[2] == 4


def test_cross_attention_cache_stores_contiguous_tensors() -> None:
    projected = torch.randn(2, 5, 3, 4)  # [batch, source, heads, dim]
    key = projected.transpose(1, 2)  # head-split view, not contiguous
    cache = CrossAttentionCache()
    stored_key, stored_value = cache.update(key, key, 0)
    assert stored_key.is_contiguous() and stored_value.is_contiguous()
    assert torch.equal(stored_key, key) and cache.get(0)[0] is stored_key
