"""The BART-family encoder-decoder layers in Keras, named like the checkpoints.

```
encoder.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm}
decoder.layers.N.{self_attn.*, self_attn_layer_norm, encoder_attn.{q,k,v,out}_proj,
                  encoder_attn_layer_norm, fc1, fc2, final_layer_norm}
```

The tree of the PyTorch `blocks.seq2seq`, so one adapter maps the same safetensors names.
`pre_norm` (a class attribute) picks `x + f(norm(x))` or `norm(x + f(x))`. The decoder's
self-attention writes into a static cache (`[max_length, batch, heads, head_dim]`, as the
decoder block's); cross-attention reads keys/values projected once from the encoder states.
Embeddings: `ScaledEmbedding` (times sqrt(d_model) with `scale_embedding`), `LearnedPositions`
(read at `position + offset`), `SinusoidalPositions` (a fixed table, sin then cos halves).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.blocks.decoder import write_cache
from tfx_core.modeling.keras.layers import (
    activation_fn,
    attention,
    dense,
    dropout,
    layer_norm,
    merge_heads,
    normal,
    split_heads,
)
from tfx_core.modeling.position_tables import sinusoidal_table


# ----------------------------------------------------------------------------- embeddings
class ScaledEmbedding(keras.layers.Embedding):
    """Token embeddings times `embed_scale` (`weight`, as `nn.Embedding`)."""

    def __init__(self, num: int, dim: int, embed_scale: float = 1.0, std: float = 0.02, **kw):
        super().__init__(num, dim, embeddings_initializer=normal(std), **kw)
        self.embed_scale = embed_scale
        self.build()

    def call(self, input_ids: Any) -> Any:
        embedded = super().call(input_ids)
        return embedded if self.embed_scale == 1.0 else embedded * self.embed_scale


class LearnedPositions(keras.layers.Embedding):
    """Learned absolute positions: `call(positions)` reads row `position + offset`."""

    offset: ClassVar[int] = 2

    def __init__(self, num_positions: int, dim: int, std: float = 0.02, **kw: Any) -> None:
        super().__init__(num_positions + self.offset, dim, embeddings_initializer=normal(std), **kw)
        self.build()

    def call(self, positions: Any) -> Any:
        return super().call(positions + self.offset if self.offset else positions)


class SinusoidalPositions(keras.layers.Embedding):
    """Fixed sin/cos positions, a non-trainable `weight` (saved as the reference saves it)."""

    offset: ClassVar[int] = 0

    def __init__(self, num_positions: int, dim: int, **kw: Any) -> None:
        table = sinusoidal_table(num_positions + self.offset, dim)
        init = keras.initializers.Constant(table)
        super().__init__(num_positions + self.offset, dim, embeddings_initializer=init, **kw)
        self.trainable = False
        self.build()

    def call(self, positions: Any) -> Any:
        return super().call(positions + self.offset if self.offset else positions)


# ----------------------------------------------------------------------------- attention
class Seq2SeqAttention(keras.layers.Layer):
    """Multi-head attention with BART's names (`q_proj`, `k_proj`, `v_proj`, `out_proj`)."""

    def __init__(self, dim: int, heads: int, dropout_rate: float, std: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.num_heads = heads
        self.head_dim = dim // heads
        self.scaling = self.head_dim**-0.5
        self.q_proj = dense(dim, dim, std)
        self.k_proj = dense(dim, dim, std)
        self.v_proj = dense(dim, dim, std)
        self.out_proj = dense(dim, dim, std)
        self.dropout = dropout(dropout_rate)

    def keys_values(self, states: Any) -> tuple[Any, Any]:
        """`(keys, values)` `[batch, heads, length, head_dim]` of `states`."""
        heads = self.num_heads
        return split_heads(self.k_proj(states), heads), split_heads(self.v_proj(states), heads)

    def call(
        self,
        hidden_states: Any,
        bias: Any = None,
        keys_values: tuple[Any, Any] | None = None,
        cache: tuple[Any, Any] | None = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, tuple[Any, Any] | None, Any]:
        """Self-attention (`keys_values` None; this call's keys/values written into `cache` at
        `index` when given) or cross-attention over precomputed `keys_values`."""
        query = split_heads(self.q_proj(hidden_states), self.num_heads)
        if keys_values is not None:
            key, value = keys_values
        else:
            key, value = self.keys_values(hidden_states)
            if cache is not None:
                keys, values = (
                    write_cache(cache[0], key, index),
                    write_cache(cache[1], value, index),
                )
                cache = (keys, values)
                key = tf.transpose(keys, (1, 2, 0, 3))
                value = tf.transpose(values, (1, 2, 0, 3))
        context, weights = attention(
            query, key, value, bias, self.scaling, self.dropout, training=training
        )
        return self.out_proj(merge_heads(context)), cache, weights


# ----------------------------------------------------------------------------- layers
class _Seq2SeqLayer(keras.layers.Layer):
    """What encoder and decoder layers share: self-attention, norms, the feed-forward net."""

    pre_norm: ClassVar[bool] = False
    side: ClassVar[str] = "encoder"
    norm_eps: ClassVar[float] = 1e-5

    def __init__(self, config: Any, layer_idx: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        dim, std = config.d_model, getattr(config, "init_std", 0.02)
        heads = getattr(config, f"{self.side}_attention_heads")
        ffn = getattr(config, f"{self.side}_ffn_dim")
        attention_dropout = float(getattr(config, "attention_dropout", 0.0) or 0.0)
        self.self_attn = Seq2SeqAttention(dim, heads, attention_dropout, std)
        self.self_attn_layer_norm = layer_norm(dim, self.norm_eps)
        if self.side == "decoder":
            self.encoder_attn = Seq2SeqAttention(dim, heads, attention_dropout, std)
            self.encoder_attn_layer_norm = layer_norm(dim, self.norm_eps)
        self.fc1 = dense(dim, ffn, std)
        self.fc2 = dense(ffn, dim, std)
        self.final_layer_norm = layer_norm(dim, self.norm_eps)
        self.activation_fn = activation_fn(config.activation_function)
        self.dropout = dropout(float(config.dropout))
        self.activation_dropout = dropout(float(config.activation_dropout))

    def residual(self, hidden: Any, norm: Any, sublayer: Any, training: bool) -> tuple[Any, Any]:
        """Pre-norm `x + f(norm(x))` or post-norm `norm(x + f(x))`; f returns (out, extra)."""
        out, extra = sublayer(norm(hidden) if self.pre_norm else hidden)
        hidden = hidden + self.dropout(out, training=training)
        return (hidden if self.pre_norm else norm(hidden)), extra

    def feed_forward(self, hidden: Any, training: bool) -> Any:
        def sublayer(x: Any) -> tuple[Any, None]:
            inner = self.activation_dropout(self.activation_fn(self.fc1(x)), training=training)
            return self.fc2(inner), None

        return self.residual(hidden, self.final_layer_norm, sublayer, training)[0]


class Seq2SeqEncoderLayer(_Seq2SeqLayer):
    """Bidirectional self-attention, then the feed-forward network."""

    side = "encoder"

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        def attend(x: Any) -> tuple[Any, Any]:
            out, _, weights = self.self_attn(x, bias, training=training)
            return out, weights

        hidden, weights = self.residual(hidden_states, self.self_attn_layer_norm, attend, training)
        return self.feed_forward(hidden, training), weights


class Seq2SeqDecoderLayer(_Seq2SeqLayer):
    """Causal self-attention (static cache), cross-attention, feed-forward."""

    side = "decoder"

    def call(
        self,
        hidden_states: Any,
        bias: Any = None,
        cross_keys_values: tuple[Any, Any] | None = None,
        cross_bias: Any = None,
        cache: tuple[Any, Any] | None = None,
        index: Any = 0,
        training: bool = False,
    ) -> tuple[Any, tuple[Any, Any] | None, Any, Any]:
        """`(hidden, cache, self-attention weights, cross-attention weights)`; without
        `cross_keys_values` (a decoder alone) the cross-attention sublayer is skipped."""
        new_cache = [cache]

        def attend(x: Any) -> tuple[Any, Any]:
            out, new_cache[0], weights = self.self_attn(
                x, bias, cache=cache, index=index, training=training
            )
            return out, weights

        def cross(x: Any) -> tuple[Any, Any]:
            out, _, weights = self.encoder_attn(
                x, cross_bias, keys_values=cross_keys_values, training=training
            )
            return out, weights

        hidden, weights = self.residual(hidden_states, self.self_attn_layer_norm, attend, training)
        cross_weights = None
        if cross_keys_values is not None:
            hidden, cross_weights = self.residual(
                hidden, self.encoder_attn_layer_norm, cross, training
            )
        return self.feed_forward(hidden, training), new_cache[0], weights, cross_weights
