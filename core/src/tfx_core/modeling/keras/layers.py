"""Keras building blocks named and shaped like their PyTorch counterparts.

Layers are built when constructed (their weights exist before the first call), so loading
assigns checkpoint tensors straight away and `save_pretrained` works on a fresh model. The
weight adapter (`adapter.py`) maps each to its PyTorch names: a `Dense` kernel is the transposed
`weight`, `LayerNormalization` gamma/beta are `weight`/`bias`, `Embedding` embeddings is `weight`;
layers written here (`Conv1D`, `TiedProjection`, ...) name their variables as PyTorch does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras.backend import keras, tf


def normal(std: float) -> Any:
    return keras.initializers.RandomNormal(mean=0.0, stddev=std)


def dense(in_features: int, units: int, std: float = 0.02, use_bias: bool = True) -> Any:
    """A built `keras.layers.Dense` (PyTorch `nn.Linear(in_features, units)`)."""
    layer = keras.layers.Dense(
        units, use_bias=use_bias, kernel_initializer=normal(std), bias_initializer="zeros"
    )
    layer.build((None, in_features))
    return layer


def layer_norm(dim: int, eps: float) -> Any:
    """A built `keras.layers.LayerNormalization` over the last axis (PyTorch `nn.LayerNorm`)."""
    layer = keras.layers.LayerNormalization(axis=-1, epsilon=eps)
    layer.build((None, dim))
    return layer


def embedding(num: int, dim: int, std: float = 0.02) -> Any:
    """A built `keras.layers.Embedding` (PyTorch `nn.Embedding`)."""
    layer = keras.layers.Embedding(num, dim, embeddings_initializer=normal(std))
    layer.build()
    return layer


def dropout(rate: float) -> Any:
    return keras.layers.Dropout(rate)


class Conv1D(keras.layers.Layer):
    """GPT-2's projection: `x @ weight + bias` with `weight` stored `[in, out]` as in PyTorch."""

    def __init__(self, out_features: int, in_features: int, std: float = 0.02, **kwargs: Any):
        super().__init__(**kwargs)
        self.weight = self.add_weight(
            shape=(in_features, out_features), initializer=normal(std), name="weight"
        )
        self.bias = self.add_weight(shape=(out_features,), initializer="zeros", name="bias")
        self.built = True

    def call(self, x: Any) -> Any:
        return tf.matmul(x, self.weight) + self.bias


class _Ref:
    """Holds a layer without Keras tracking it (a tied layer is owned, and saved, elsewhere)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer


class TiedProjection(keras.layers.Layer):
    """Projection onto the vocabulary: `x @ embedding.T (+ bias)`.

    Tied (the default): the word embedding matrix is used directly, so only the embedding is
    saved, as the reference does. Untied: the layer has its own `weight` `[vocab, hidden]`.
    """

    def __init__(
        self,
        embedding_layer: Any,
        tied: bool = True,
        use_bias: bool = False,
        std: float = 0.02,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._embedding = _Ref(embedding_layer)
        self.tied = tied
        vocab, hidden = embedding_layer.input_dim, embedding_layer.output_dim
        if not tied:
            self.weight = self.add_weight(
                shape=(vocab, hidden), initializer=normal(std), name="weight"
            )
        if use_bias:
            self.bias = self.add_weight(shape=(vocab,), initializer="zeros", name="bias")
        self.use_bias = use_bias
        self.built = True

    @property
    def matrix(self) -> Any:
        return self._embedding.layer.embeddings if self.tied else self.weight

    def call(self, x: Any) -> Any:
        logits = tf.matmul(x, tf.cast(self.matrix, x.dtype), transpose_b=True)
        return logits + self.bias if self.use_bias else logits


# ----------------------------------------------------------------------------- activations
def _gelu(x: Any) -> Any:
    return 0.5 * x * (1.0 + tf.math.erf(x / tf.cast(math.sqrt(2.0), x.dtype)))


def _gelu_tanh(x: Any) -> Any:
    c = tf.cast(math.sqrt(2.0 / math.pi), x.dtype)
    return 0.5 * x * (1.0 + tf.tanh(c * (x + 0.044715 * tf.pow(x, 3))))


def _quick_gelu(x: Any) -> Any:
    return x * tf.sigmoid(1.702 * x)


ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "gelu": _gelu,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "quick_gelu": _quick_gelu,
    "relu": tf.nn.relu,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "linear": tf.identity,
}


def activation_fn(name: str) -> Callable[[Any], Any]:
    """The activation named like the reference's `hidden_act` values."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"Unknown activation {name!r}; tfx's TF models support: {', '.join(ACTIVATIONS)}."
        ) from None


# ----------------------------------------------------------------------------- attention
def split_heads(x: Any, heads: int) -> Any:
    """`[batch, length, heads * dim]` -> `[batch, heads, length, dim]`."""
    shape = tf.shape(x)
    x = tf.reshape(x, (shape[0], shape[1], heads, x.shape[-1] // heads))
    return tf.transpose(x, (0, 2, 1, 3))


def merge_heads(x: Any) -> Any:
    """`[batch, heads, length, dim]` -> `[batch, length, heads * dim]`."""
    heads, dim = x.shape[1], x.shape[3]
    x = tf.transpose(x, (0, 2, 1, 3))
    shape = tf.shape(x)
    return tf.reshape(x, (shape[0], shape[1], heads * dim))


def attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    scale: float | None = None,
    dropout_layer: Any = None,
    training: bool = False,
) -> tuple[Any, Any]:
    """softmax(q k^T * scale + bias) v for `[batch, heads, length, dim]` tensors; (out, weights)."""
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = tf.matmul(query, key, transpose_b=True) * tf.cast(scale, query.dtype)
    if bias is not None:
        scores = scores + tf.cast(bias, scores.dtype)
    weights = tf.nn.softmax(scores, axis=-1)
    if dropout_layer is not None and training:
        weights = dropout_layer(weights, training=training)
    return tf.matmul(weights, value), weights


def min_value(dtype: Any) -> Any:
    return tf.as_dtype(dtype).min


def padding_bias(attention_mask: Any, dtype: Any) -> Any:
    """`[batch, key]` (1 = token, 0 = padding) -> additive `[batch, 1, 1, key]`, or None."""
    if attention_mask is None:
        return None
    mask = tf.cast(attention_mask, dtype)
    if mask.shape.rank == 4:
        return (1.0 - mask) * min_value(dtype)
    return (1.0 - mask[:, None, None, :]) * min_value(dtype)


def causal_bias(
    query_length: Any, key_length: Any, past_length: Any, attention_mask: Any, dtype: Any
) -> Any:
    """Additive `[batch or 1, 1, query, key]`: query i (at position past + i) sees keys <= it,
    and none that `attention_mask` (`[batch, key]`) marks as padding."""
    query_pos = tf.range(query_length) + past_length
    key_pos = tf.range(key_length)
    allowed = key_pos[None, :] <= query_pos[:, None]
    allowed = allowed[None, None]
    if attention_mask is not None:
        keys = tf.cast(attention_mask[:, :key_length], tf.bool)
        allowed = tf.logical_and(allowed, keys[:, None, None, :])
    return tf.where(allowed, tf.zeros((), dtype), tf.cast(min_value(dtype), dtype))
