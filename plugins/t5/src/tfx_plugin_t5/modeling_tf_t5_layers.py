"""T5's layers in Keras, with the reference's attribute names (they are the checkpoint keys).

```
block.N.layer.0  T5LayerSelfAttention   layer_norm, SelfAttention.{q,k,v,o}
                                        (+ relative_attention_bias in block 0)
block.N.layer.1  T5LayerCrossAttention  layer_norm, EncDecAttention.{q,k,v,o}   (decoder only)
block.N.layer.-1 T5LayerFF              layer_norm, DenseReluDense.{wi | wi_0, wi_1, wo}
```
Pre-norm residual blocks with an RMS norm (no mean, no bias, statistics in float32), no
1/sqrt(d) scaling of query . key, and a learned per-head bias of the bucketed relative position
(computed once per stack from the first block's table). The decoder's self-attention writes
into the core's static cache (`[max_length, batch, heads, d_kv]`), as the other Keras decoders.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.blocks.decoder import write_cache
from tfx_core.modeling.keras.layers import (
    activation_fn,
    attention,
    dense,
    dropout,
    embedding,
    merge_heads,
    split_heads,
)

__all__ = ["TFT5Block", "TFT5LayerNorm", "bucket_table"]


def bucket_table(bidirectional: bool, num_buckets: int, max_distance: int) -> np.ndarray:
    """Bucket of every `key - query` offset in `[-max_distance, max_distance]` (offsets beyond
    fall in the last bucket of their sign): exact for small offsets, log-spaced after."""
    relative = np.arange(-max_distance, max_distance + 1, dtype=np.int64)
    buckets = np.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative > 0).astype(np.int64) * num_buckets
        distance = np.abs(relative)
    else:
        distance = np.maximum(-relative, 0)
    exact = num_buckets // 2
    safe = np.maximum(distance, exact).astype(np.float32)
    log_ratio = np.log(safe / np.float32(exact)) / np.float32(math.log(max_distance / exact))
    far = np.minimum(
        exact + (log_ratio * np.float32(num_buckets - exact)).astype(np.int64), num_buckets - 1
    )
    return (buckets + np.where(distance < exact, distance, far)).astype(np.int32)


class TFT5LayerNorm(keras.layers.Layer):
    """RMS norm without mean or bias, statistics in float32 (`weight` only)."""

    def __init__(self, dim: int, eps: float = 1e-6, **kw: Any) -> None:
        super().__init__(**kw)
        self.eps = eps
        self.weight = self.add_weight(shape=(dim,), initializer="ones", name="weight")
        self.built = True

    def call(self, hidden: Any) -> Any:
        wide = tf.cast(hidden, tf.float32)
        variance = tf.reduce_mean(tf.square(wide), axis=-1, keepdims=True)
        normed = tf.cast(wide * tf.math.rsqrt(variance + self.eps), self.weight.dtype)
        return self.weight * normed


class TFT5DenseActDense(keras.layers.Layer):
    """T5 v1.0: `wo(dropout(act(wi(x))))`."""

    def __init__(self, config: Any, **kw: Any) -> None:
        super().__init__(**kw)
        factor = config.initializer_factor
        self.wi = dense(config.d_model, config.d_ff, factor * config.d_model**-0.5, False)
        self.wo = dense(config.d_ff, config.d_model, factor * config.d_ff**-0.5, False)
        self.dropout = dropout(config.dropout_rate)
        self.act = activation_fn(config.dense_act_fn)

    def call(self, hidden: Any, training: bool = False) -> Any:
        return self.wo(self.dropout(self.act(self.wi(hidden)), training=training))


class TFT5DenseGatedActDense(keras.layers.Layer):
    """T5 v1.1 / mT5: `wo(dropout(act(wi_0(x)) * wi_1(x)))`."""

    def __init__(self, config: Any, **kw: Any) -> None:
        super().__init__(**kw)
        factor = config.initializer_factor
        self.wi_0 = dense(config.d_model, config.d_ff, factor * config.d_model**-0.5, False)
        self.wi_1 = dense(config.d_model, config.d_ff, factor * config.d_model**-0.5, False)
        self.wo = dense(config.d_ff, config.d_model, factor * config.d_ff**-0.5, False)
        self.dropout = dropout(config.dropout_rate)
        self.act = activation_fn(config.dense_act_fn)

    def call(self, hidden: Any, training: bool = False) -> Any:
        gated = self.act(self.wi_0(hidden)) * self.wi_1(hidden)
        return self.wo(self.dropout(gated, training=training))


class TFT5LayerFF(keras.layers.Layer):
    """`x + dropout(DenseReluDense(layer_norm(x)))`."""

    def __init__(self, config: Any, **kw: Any) -> None:
        super().__init__(**kw)
        dense_class = TFT5DenseGatedActDense if config.is_gated_act else TFT5DenseActDense
        self.DenseReluDense = dense_class(config)
        self.layer_norm = TFT5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.dropout = dropout(config.dropout_rate)

    def call(self, hidden: Any, training: bool = False) -> Any:
        out = self.DenseReluDense(self.layer_norm(hidden), training=training)
        return hidden + self.dropout(out, training=training)


class TFT5Attention(keras.layers.Layer):
    """Multi-head attention without 1/sqrt(d); `q`, `k`, `v`, `o` without biases; with
    `has_relative_attention_bias`, the bucket table `relative_attention_bias` `[buckets, heads]`."""

    def __init__(
        self, config: Any, has_relative_attention_bias: bool, is_decoder: bool, **kw: Any
    ) -> None:
        super().__init__(**kw)
        factor, dim = config.initializer_factor, config.d_model
        self.n_heads, self.d_kv = config.num_heads, config.d_kv
        inner = self.n_heads * self.d_kv
        self.q = dense(dim, inner, factor * (dim * self.d_kv) ** -0.5, False)
        self.k = dense(dim, inner, factor * dim**-0.5, False)
        self.v = dense(dim, inner, factor * dim**-0.5, False)
        self.o = dense(inner, dim, factor * inner**-0.5, False)
        self.dropout = dropout(config.dropout_rate)
        self.has_relative_attention_bias = has_relative_attention_bias
        if has_relative_attention_bias:
            self.relative_attention_bias = embedding(
                config.relative_attention_num_buckets, self.n_heads, factor * dim**-0.5
            )
            self.max_distance = config.relative_attention_max_distance
            self.buckets = bucket_table(
                not is_decoder, config.relative_attention_num_buckets, self.max_distance
            )

    def compute_bias(self, query_positions: Any, key_length: Any) -> Any:
        """`[1, heads, queries, keys]` bias of each query position against keys 0...key_length-1."""
        keys = tf.range(key_length)
        relative = keys[None, :] - query_positions[:, None]
        relative = tf.clip_by_value(relative, -self.max_distance, self.max_distance)
        buckets = tf.gather(tf.constant(self.buckets), relative + self.max_distance)
        values = self.relative_attention_bias(buckets)  # [queries, keys, heads]
        return tf.transpose(values, (2, 0, 1))[None]

    def keys_values(self, states: Any) -> tuple[Any, Any]:
        return split_heads(self.k(states), self.n_heads), split_heads(self.v(states), self.n_heads)

    def call(
        self,
        hidden: Any,
        bias: Any = None,
        keys_values: tuple[Any, Any] | None = None,
        cache: tuple[Any, Any] | None = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, tuple | None, Any]:
        query = split_heads(self.q(hidden), self.n_heads)
        if keys_values is not None:
            key, value = keys_values
        else:
            key, value = self.keys_values(hidden)
            if cache is not None:
                keys, values = (
                    write_cache(cache[0], key, index),
                    write_cache(cache[1], value, index),
                )
                cache = (keys, values)
                key, value = tf.transpose(keys, (1, 2, 0, 3)), tf.transpose(values, (1, 2, 0, 3))
        context, weights = attention(query, key, value, bias, 1.0, self.dropout, training=training)
        return self.o(merge_heads(context)), cache, weights


class TFT5LayerSelfAttention(keras.layers.Layer):
    """`x + dropout(SelfAttention(layer_norm(x)))`."""

    def __init__(self, config: Any, has_bias: bool, is_decoder: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.SelfAttention = TFT5Attention(config, has_bias, is_decoder)
        self.layer_norm = TFT5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.dropout = dropout(config.dropout_rate)

    def call(
        self,
        hidden: Any,
        bias: Any = None,
        cache: Any = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple:
        out, cache, weights = self.SelfAttention(
            self.layer_norm(hidden), bias, cache=cache, index=index, training=training
        )
        return hidden + self.dropout(out, training=training), cache, weights


class TFT5LayerCrossAttention(keras.layers.Layer):
    """`x + dropout(EncDecAttention(layer_norm(x), encoder keys/values))`."""

    def __init__(self, config: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.EncDecAttention = TFT5Attention(config, False, True)
        self.layer_norm = TFT5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.dropout = dropout(config.dropout_rate)

    def call(
        self, hidden: Any, keys_values: Any = None, bias: Any = None, training: bool = False
    ) -> tuple:
        out, _, weights = self.EncDecAttention(
            self.layer_norm(hidden), bias, keys_values=keys_values, training=training
        )
        return hidden + self.dropout(out, training=training), weights


class TFT5Block(keras.layers.Layer):
    """Self-attention, cross-attention (decoder blocks), feed-forward: `layer` in that order."""

    def __init__(self, config: Any, has_bias: bool, is_decoder: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.is_decoder = is_decoder
        layers = [TFT5LayerSelfAttention(config, has_bias, is_decoder)]
        if is_decoder:
            layers.append(TFT5LayerCrossAttention(config))
        self.layer = [*layers, TFT5LayerFF(config)]

    def call(
        self,
        hidden: Any,
        bias: Any,
        cross_keys_values: Any = None,
        cross_bias: Any = None,
        cache: Any = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, Any, Any, Any]:
        """`(hidden, cache, self-attention weights, cross-attention weights)`."""
        hidden, cache, weights = self.layer[0](
            hidden, bias=bias, cache=cache, index=index, training=training
        )
        cross_weights = None
        if self.is_decoder and cross_keys_values is not None:
            hidden, cross_weights = self.layer[1](
                hidden, keys_values=cross_keys_values, bias=cross_bias, training=training
            )
        return self.layer[-1](hidden, training=training), cache, weights, cross_weights
