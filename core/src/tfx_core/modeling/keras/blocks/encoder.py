"""The BERT-style post-norm encoder layer in Keras, named like the checkpoints.

`encoder.layer.N.attention.self.{query,key,value}`, `attention.output.{dense,LayerNorm}`,
`intermediate.dense`, `output.{dense,LayerNorm}`: the tree of the PyTorch `blocks.encoder`, so
BERT, RoBERTa and their relatives load without renaming. An architecture customises a piece by
subclassing and pointing the `*_class` attribute of its parent at it. (`output` is written
`output_` in Python: Keras layers have an `output` property; the adapter drops the underscore.)

With `config.is_decoder` (BERT/RoBERTa as causal LMs) each piece also has `step`: the same
math over a static KV cache (`blocks.decoder.empty_cache` layout), for XLA generation.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.blocks.decoder import write_cache
from tfx_core.modeling.keras.layers import (
    activation_fn,
    attention,
    dense,
    dropout,
    layer_norm,
    merge_heads,
    split_heads,
)


class SelfAttention(keras.layers.Layer):
    """Multi-head self-attention with separate query, key and value projections."""

    def __init__(self, config: Any, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ConfigError(
                "tfx's TF encoder supports position_embedding_type='absolute' only; use the "
                "PyTorch model for relative position embeddings."
            )
        hidden, std = config.hidden_size, config.initializer_range
        self.num_attention_heads = config.num_attention_heads
        self.layer_idx = layer_idx
        self.query = dense(hidden, hidden, std)
        self.key = dense(hidden, hidden, std)
        self.value = dense(hidden, hidden, std)
        self.dropout = dropout(config.attention_probs_dropout_prob)

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        heads = self.num_attention_heads
        query = split_heads(self.query(hidden_states), heads)
        key = split_heads(self.key(hidden_states), heads)
        value = split_heads(self.value(hidden_states), heads)
        context, weights = attention(
            query, key, value, bias, dropout_layer=self.dropout, training=training
        )
        return merge_heads(context), weights

    def step(self, hidden_states: Any, bias: Any, cache: tuple, index: Any) -> tuple[Any, tuple]:
        """Attend from `hidden_states` (written at `index...`) over the cached keys/values."""
        heads = self.num_attention_heads
        keys = write_cache(cache[0], split_heads(self.key(hidden_states), heads), index)
        values = write_cache(cache[1], split_heads(self.value(hidden_states), heads), index)
        query = split_heads(self.query(hidden_states), heads)
        key, value = tf.transpose(keys, (1, 2, 0, 3)), tf.transpose(values, (1, 2, 0, 3))
        context, _ = attention(query, key, value, bias)
        return merge_heads(context), (keys, values)


class SelfOutput(keras.layers.Layer):
    """Attention output projection, dropout, residual add, layer norm."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        hidden = config.hidden_size
        self.dense = dense(hidden, hidden, config.initializer_range)
        self.LayerNorm = layer_norm(hidden, config.layer_norm_eps)
        self.dropout = dropout(config.hidden_dropout_prob)

    def call(self, hidden_states: Any, residual: Any, training: bool = False) -> Any:
        hidden_states = self.dropout(self.dense(hidden_states), training=training)
        return self.LayerNorm(hidden_states + residual)


class Attention(keras.layers.Layer):
    self_class: ClassVar[type] = SelfAttention
    output_class: ClassVar[type] = SelfOutput

    def __init__(self, config: Any, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.self = self.self_class(config, layer_idx)
        self.output_ = self.output_class(config)

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        context, weights = self.self(hidden_states, bias=bias, training=training)
        return self.output_(context, residual=hidden_states, training=training), weights

    def step(self, hidden_states: Any, bias: Any, cache: tuple, index: Any) -> tuple[Any, tuple]:
        context, cache = self.self.step(hidden_states, bias, cache, index)
        return self.output_(context, residual=hidden_states), cache


class Intermediate(keras.layers.Layer):
    """First feed-forward projection and the activation (`hidden_act`)."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config.intermediate_size, config.initializer_range)
        self.intermediate_act_fn = activation_fn(config.hidden_act)

    def call(self, hidden_states: Any) -> Any:
        return self.intermediate_act_fn(self.dense(hidden_states))


class Output(keras.layers.Layer):
    """Second feed-forward projection, dropout, residual add, layer norm."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dense = dense(config.intermediate_size, config.hidden_size, config.initializer_range)
        self.LayerNorm = layer_norm(config.hidden_size, config.layer_norm_eps)
        self.dropout = dropout(config.hidden_dropout_prob)

    def call(self, hidden_states: Any, residual: Any, training: bool = False) -> Any:
        hidden_states = self.dropout(self.dense(hidden_states), training=training)
        return self.LayerNorm(hidden_states + residual)


class EncoderLayer(keras.layers.Layer):
    """One post-norm block: attention, then the feed-forward network."""

    attention_class: ClassVar[type] = Attention
    intermediate_class: ClassVar[type] = Intermediate
    output_class: ClassVar[type] = Output

    def __init__(self, config: Any, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attention = self.attention_class(config, layer_idx)
        self.intermediate = self.intermediate_class(config)
        self.output_ = self.output_class(config)

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        attended, weights = self.attention(hidden_states, bias=bias, training=training)
        out = self.output_(self.intermediate(attended), residual=attended, training=training)
        return out, weights

    def step(self, hidden_states: Any, bias: Any, cache: tuple, index: Any) -> tuple[Any, tuple]:
        attended, cache = self.attention.step(hidden_states, bias, cache, index)
        return self.output_(self.intermediate(attended), residual=attended), cache


class Encoder(keras.layers.Layer):
    """`num_hidden_layers` encoder layers (`layer.0`, `layer.1`, ...)."""

    layer_class: ClassVar[type] = EncoderLayer

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer = [self.layer_class(config, i) for i in range(config.num_hidden_layers)]

    def call(
        self,
        hidden_states: Any,
        bias: Any = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        training: bool = False,
    ) -> tuple[Any, tuple | None, tuple | None]:
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_weights = () if output_attentions else None
        for layer in self.layer:
            hidden_states, weights = layer(hidden_states, bias=bias, training=training)
            if output_hidden_states:
                all_hidden += (hidden_states,)
            if output_attentions:
                all_weights += (weights,)
        return hidden_states, all_hidden, all_weights

    def step(self, hidden_states: Any, bias: Any, cache: tuple, index: Any) -> tuple[Any, tuple]:
        """Every layer over its cache (`cache[i]`); the hidden states and the new caches."""
        new_cache = []
        for layer, layer_cache in zip(self.layer, cache, strict=True):
            hidden_states, layer_cache = layer.step(hidden_states, bias, layer_cache, index)
            new_cache.append(layer_cache)
        return hidden_states, tuple(new_cache)
