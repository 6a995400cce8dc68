"""Scaled dot-product attention and the additive masks it takes, in JAX.

Tensors are `[batch, heads, seq, head_dim]`; masks are additive float biases broadcastable to
`[batch, heads, q, k]`, with masked positions at the dtype's most negative finite value (as the
reference), so a fully masked row stays finite.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Array = jax.Array
_HIGHEST = jax.lax.Precision.HIGHEST


def padding_bias(attention_mask: Array | None, dtype=jnp.float32) -> Array | None:
    """`[batch, k]` 0/1 mask -> additive `[batch, 1, 1, k]` bias (None when there is none)."""
    if attention_mask is None:
        return None
    mask = jnp.asarray(attention_mask)
    if mask.ndim == 4:  # already an additive bias
        return mask.astype(dtype)
    keep = mask[:, None, None, :].astype(bool)
    return jnp.where(keep, 0.0, jnp.finfo(dtype).min).astype(dtype)


def causal_bias(
    query_positions: Array, key_length: int, attention_mask: Array | None, dtype=jnp.float32
) -> Array:
    """Additive bias `[batch|1, 1, q, key_length]`: key j visible to a query at position p when
    j <= p and the 0/1 `attention_mask` (`[batch, key_length]`) keeps it."""
    keys = jnp.arange(key_length)
    visible = keys[None, :] <= query_positions[..., None]  # [q, k] or [batch, q, k]
    visible = visible[None, None] if visible.ndim == 2 else visible[:, None]
    if attention_mask is not None:
        visible = visible & jnp.asarray(attention_mask)[:, None, None, :key_length].astype(bool)
    return jnp.where(visible, 0.0, jnp.finfo(dtype).min).astype(dtype)


def attention(
    query: Array,
    key: Array,
    value: Array,
    bias: Array | None = None,
    *,
    scale: float | None = None,
    dropout: Callable | None = None,
) -> tuple[Array, Array]:
    """softmax(q k^T * scale + bias) v; returns (output, weights). Softmax runs in float32."""
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    scores = jnp.einsum("bhqd,bhkd->bhqk", query, key, precision=_HIGHEST) * scale
    scores = scores.astype(jnp.float32)
    if bias is not None:
        scores = scores + bias.astype(jnp.float32)
        scores = jnp.maximum(scores, jnp.finfo(jnp.float32).min)
    weights = jax.nn.softmax(scores, axis=-1).astype(query.dtype)
    if dropout is not None:
        weights = dropout(weights)
    out = jnp.einsum("bhqk,bhkd->bhqd", weights, value, precision=_HIGHEST)
    return out, weights


def split_heads(x: Array, num_heads: int) -> Array:
    """`[batch, seq, hidden]` -> `[batch, heads, seq, head_dim]`."""
    batch, seq, hidden = x.shape
    return x.reshape(batch, seq, num_heads, hidden // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x: Array) -> Array:
    """`[batch, heads, seq, head_dim]` -> `[batch, seq, hidden]`."""
    batch, heads, seq, dim = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, seq, heads * dim)
