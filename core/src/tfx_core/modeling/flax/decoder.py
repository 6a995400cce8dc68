"""GPT-2 style pre-norm decoder block in nnx, with a preallocated KV cache.

Names follow the checkpoints: `ln_1`, `attn.c_attn` (fused q/k/v), `attn.c_proj`, `ln_2`,
`mlp.c_fc`, `mlp.c_proj`, with GPT-2's `[in, out]` `Conv1D` weights. Configs give `n_embd`,
`n_head`, `n_inner`, `activation_function`, `layer_norm_epsilon`, `resid_pdrop`, `attn_pdrop`,
`initializer_range`, `scale_attn_weights`, `scale_attn_by_inverse_layer_idx`.

The cache is a pytree passed in and returned (never stored on the module), so decoding runs
under `jax.jit` / `lax.while_loop`: per layer, keys and values `[batch, heads, max_length,
head_dim]` written in place at `index` with `lax.dynamic_update_slice`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.modeling.flax.attention import attention, merge_heads, split_heads
from tfx_core.modeling.flax.layers import Conv1D, activation_fn, dropout, layer_norm

Array = jax.Array


class LayerCache(NamedTuple):
    """One layer's preallocated keys and values `[batch, heads, max_length, head_dim]`."""

    key: Array
    value: Array

    def written(self, key: Array, value: Array, index: Any) -> LayerCache:
        """This cache with `key` / `value` `[batch, heads, new, head_dim]` written at column
        `index` (in place under `jax.jit`)."""
        return LayerCache(_write(self.key, key, index), _write(self.value, value, index))


def empty_cache(
    num_layers: int, batch: int, num_heads: int, max_length: int, head_dim: int, dtype: Any
) -> tuple[LayerCache, ...]:
    shape = (batch, num_heads, max_length, head_dim)
    return tuple(
        LayerCache(jnp.zeros(shape, dtype), jnp.zeros(shape, dtype)) for _ in range(num_layers)
    )


def _write(buffer: Array, new: Array, index: Array) -> Array:
    return jax.lax.dynamic_update_slice(buffer, new.astype(buffer.dtype), (0, 0, index, 0))


class DecoderAttention(nnx.Module):
    """Causal self-attention with fused `c_attn` and output `c_proj`."""

    def __init__(self, config: Any, layer_idx: int, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.n_embd, config.initializer_range
        self.num_heads = config.n_head
        self.c_attn = Conv1D(hidden, 3 * hidden, std=std, dtype=dtype, rngs=rngs)
        self.c_proj = Conv1D(hidden, hidden, std=std, dtype=dtype, rngs=rngs)
        self.attn_dropout = dropout(config.attn_pdrop, rngs)
        self.resid_dropout = dropout(config.resid_pdrop, rngs)
        head_dim = hidden // config.n_head
        scale = head_dim**-0.5 if getattr(config, "scale_attn_weights", True) else 1.0
        if getattr(config, "scale_attn_by_inverse_layer_idx", False):
            scale /= float(layer_idx + 1)
        self.scale = scale

    def __call__(
        self, hidden: Array, bias: Array, cache: LayerCache | None, index: Any
    ) -> tuple[Array, Array, LayerCache | None]:
        q, k, v = jnp.split(self.c_attn(hidden), 3, axis=-1)
        q, k, v = (split_heads(t, self.num_heads) for t in (q, k, v))
        if cache is not None:
            cache = cache.written(k, v, index)
            k, v = cache.key, cache.value
        out, weights = attention(q, k, v, bias, scale=self.scale, dropout=self.attn_dropout)
        return self.resid_dropout(self.c_proj(merge_heads(out))), weights, cache


class DecoderMLP(nnx.Module):
    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.n_embd, config.initializer_range
        inner = config.n_inner if config.n_inner is not None else 4 * hidden
        self.c_fc = Conv1D(hidden, inner, std=std, dtype=dtype, rngs=rngs)
        self.c_proj = Conv1D(inner, hidden, std=std, dtype=dtype, rngs=rngs)
        self.act = activation_fn(config.activation_function)
        self.dropout = dropout(config.resid_pdrop, rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden))))


class DecoderLayer(nnx.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, config: Any, layer_idx: int, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, eps = config.n_embd, config.layer_norm_epsilon
        self.ln_1 = layer_norm(hidden, eps, dtype=dtype, rngs=rngs)
        self.attn = DecoderAttention(config, layer_idx, dtype=dtype, rngs=rngs)
        self.ln_2 = layer_norm(hidden, eps, dtype=dtype, rngs=rngs)
        self.mlp = DecoderMLP(config, dtype=dtype, rngs=rngs)

    def __call__(
        self, hidden: Array, bias: Array, cache: LayerCache | None = None, index: Any = 0
    ) -> tuple[Array, Array, LayerCache | None]:
        attended, weights, cache = self.attn(self.ln_1(hidden), bias, cache, index)
        hidden = hidden + attended
        return hidden + self.mlp(self.ln_2(hidden)), weights, cache


DecoderBlock = DecoderLayer  # the GPT-2 paper's name
