"""Running a stack of cached self-attention layers: the causal bias over a KV cache and the
layer loop that collects hidden states, attention weights and the updated cache.

A layer is called as `layer(hidden, bias)` without a cache, `layer(hidden, bias, layer_cache,
cache_index)` with one, and returns `(hidden, weights)` or `(hidden, weights, layer_cache)`
(`blocks.EncoderLayer`, `decoder.DecoderLayer`, a plugin's cacheless layer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp

from tfx_core.modeling.flax.attention import causal_bias
from tfx_core.modeling.flax.decoder import LayerCache

Array = jax.Array

__all__ = ["cached_causal_bias", "run_layers"]


def cached_causal_bias(
    length: int,
    attention_mask: Array | None,
    cache: tuple[LayerCache, ...] | None = None,
    cache_index: Any = 0,
) -> Array:
    """Causal bias of `length` queries at `cache_index ...` over the cache's columns (over the
    `length` keys without a cache); `attention_mask` masks keys."""
    key_length = length if cache is None else cache[0].key.shape[2]
    return causal_bias(jnp.arange(length) + cache_index, key_length, attention_mask)


def run_layers(
    layers: Iterable[Any],
    hidden: Array,
    bias: Array | None,
    *,
    cache: tuple[LayerCache, ...] | None = None,
    cache_index: Any = 0,
    output_hidden_states: bool = False,
    output_attentions: bool = False,
    final: Callable[[Array], Array] | None = None,
) -> tuple[Array, tuple | None, tuple | None, tuple[LayerCache, ...] | None]:
    """(hidden, all hidden states, attention weights, the updated cache or None); `final`
    (e.g. a last norm) runs after the last layer, before the last hidden state is kept."""
    states: list[Array] = []
    attentions: list[Array] = []
    caches: list[LayerCache] = []
    for i, layer in enumerate(layers):
        if output_hidden_states:
            states.append(hidden)
        if cache is None:
            hidden, weights, *_ = layer(hidden, bias)
        else:
            hidden, weights, layer_cache = layer(hidden, bias, cache[i], cache_index)
            caches.append(layer_cache)
        if output_attentions:
            attentions.append(weights)
    if final is not None:
        hidden = final(hidden)
    if output_hidden_states:
        states.append(hidden)
    return (
        hidden,
        tuple(states) if output_hidden_states else None,
        tuple(attentions) if output_attentions else None,
        tuple(caches) if cache is not None else None,
    )
