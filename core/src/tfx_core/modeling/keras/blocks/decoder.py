"""The GPT-2-style pre-norm decoder block in Keras, with a preallocated (static) KV cache.

Names follow the checkpoints: `ln_1`, `attn.c_attn` (fused query/key/value, `[in, out]`
weights), `attn.c_proj`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`. The cache of one layer is a pair of
`[max_length, batch, heads, head_dim]` tensors; a call writes its keys and values at positions
`index .. index + length - 1` and attends over the whole buffer, with the positions not yet
written hidden by the causal bias. Shapes never change while decoding, so a compiled (XLA)
decoding loop traces one step function for the whole generation.
"""

from __future__ import annotations

import math
from typing import Any

from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.layers import (
    Conv1D,
    activation_fn,
    attention,
    dropout,
    layer_norm,
    merge_heads,
)


def empty_cache(layers: int, batch: int, max_length: int, heads: int, head_dim: int, dtype: Any):
    """Zeroed `(keys, values)` for each layer, each `[max_length, batch, heads, head_dim]`."""
    shape = (max_length, batch, heads, head_dim)
    return tuple((tf.zeros(shape, dtype), tf.zeros(shape, dtype)) for _ in range(layers))


def write_cache(buffer: Any, new: Any, index: Any) -> Any:
    """Write `new` `[batch, heads, length, dim]` into `buffer` at positions `index...`."""
    length = tf.shape(new)[2]
    positions = (tf.range(length) + index)[:, None]
    return tf.tensor_scatter_nd_update(buffer, positions, tf.transpose(new, (2, 0, 1, 3)))


class CausalSelfAttention(keras.layers.Layer):
    """Causal multi-head attention with a fused query/key/value projection (`c_attn`)."""

    def __init__(self, config: Any, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        embed, std = config.n_embd, config.initializer_range
        self.num_heads = config.n_head
        self.head_dim = embed // self.num_heads
        scale = 1.0 / math.sqrt(self.head_dim) if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        self.scale = scale
        proj_std = std / math.sqrt(2 * config.n_layer)
        self.c_attn = Conv1D(3 * embed, embed, std)
        self.c_proj = Conv1D(embed, embed, proj_std)
        self.attn_dropout = dropout(config.attn_pdrop)
        self.resid_dropout = dropout(config.resid_pdrop)

    def call(
        self,
        hidden_states: Any,
        bias: Any,
        cache: tuple[Any, Any] | None = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, tuple[Any, Any] | None, Any]:
        shape = tf.shape(hidden_states)
        qkv = tf.reshape(
            self.c_attn(hidden_states), (shape[0], shape[1], 3, self.num_heads, self.head_dim)
        )
        query, key, value = tf.unstack(tf.transpose(qkv, (2, 0, 3, 1, 4)), axis=0)
        if cache is not None:
            keys, values = write_cache(cache[0], key, index), write_cache(cache[1], value, index)
            cache = (keys, values)
            key = tf.transpose(keys, (1, 2, 0, 3))
            value = tf.transpose(values, (1, 2, 0, 3))
        context, weights = attention(
            query, key, value, bias, self.scale, self.attn_dropout, training=training
        )
        out = self.resid_dropout(self.c_proj(merge_heads(context)), training=training)
        return out, cache, weights


class MLP(keras.layers.Layer):
    def __init__(self, inner_size: int, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        std = config.initializer_range
        self.c_fc = Conv1D(inner_size, config.n_embd, std)
        self.c_proj = Conv1D(config.n_embd, inner_size, std / math.sqrt(2 * config.n_layer))
        self.act = activation_fn(config.activation_function)
        self.dropout = dropout(config.resid_pdrop)

    def call(self, hidden_states: Any, training: bool = False) -> Any:
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))), training=training)


class DecoderBlock(keras.layers.Layer):
    """Pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, config: Any, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        inner = config.n_inner if config.n_inner is not None else 4 * config.n_embd
        self.ln_1 = layer_norm(config.n_embd, config.layer_norm_epsilon)
        self.attn = CausalSelfAttention(config, layer_idx)
        self.ln_2 = layer_norm(config.n_embd, config.layer_norm_epsilon)
        self.mlp = MLP(inner, config)

    def call(
        self,
        hidden_states: Any,
        bias: Any,
        cache: tuple[Any, Any] | None = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, tuple[Any, Any] | None, Any]:
        attended, cache, weights = self.attn(
            self.ln_1(hidden_states), bias=bias, cache=cache, index=index, training=training
        )
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states), training=training)
        return hidden_states, cache, weights
