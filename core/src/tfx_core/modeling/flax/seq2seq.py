"""The BART-family encoder-decoder block in nnx, named like the checkpoints.

```
shared                                       token embeddings (unless each side has its own)
{encoder,decoder}.embed_positions            learned positions (offset 2 or 0) / none if fixed
{encoder,decoder}.layernorm_embedding        `embedding_norm`
{encoder,decoder}.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2,
                            final_layer_norm}  (+ encoder_attn.*, encoder_attn_layer_norm)
{encoder,decoder}.layer_norm                 `final_norm`
```

The same switches as the PyTorch block (`tfx_core.modeling.torch.blocks.seq2seq*`), as class
attributes of one-line subclasses: `pre_norm` on the layers; `positions` ("learned" or
"sinusoidal"), `position_offset`, `embedding_norm`, `final_norm` on the stacks; embeddings are
scaled by sqrt(d_model) with `config.scale_embedding`. Fixed sinusoidal tables are computed, not
stored as parameters. The decoder's cache is a pytree passed in and returned: per layer the
preallocated self-attention keys/values (`decoder.LayerCache`) and the encoder's projected
keys/values, computed once per generation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.attention import (
    attention,
    causal_bias,
    merge_heads,
    padding_bias,
    split_heads,
)
from tfx_core.modeling.flax.decoder import LayerCache, empty_cache
from tfx_core.modeling.flax.layers import activation_fn, dense, dropout, embed, layer_norm
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.position_tables import sinusoidal_table

Array = jax.Array
NORM_EPS = 1e-5  # torch.nn.LayerNorm's default, which the reference's BART family uses


class CrossCache(NamedTuple):
    """One decoder layer's encoder keys and values `[batch, heads, source, head_dim]`."""

    key: Array
    value: Array


class Seq2SeqCache(NamedTuple):
    """The decoder's generation state: self-attention and cross-attention caches per layer,
    and the encoder's additive padding bias."""

    layers: tuple[LayerCache, ...]
    cross: tuple[CrossCache, ...]
    encoder_bias: Array


def _std(config: Any) -> float:
    return float(getattr(config, "init_std", 0.02))


# ------------------------------------------------------------------------ layers
class CachedAttention(nnx.Module):
    """The forward of encoder-decoder attention (BART family, T5). A subclass builds
    `num_heads`, `dropout` and the projections named in `projections`."""

    #: attribute names of the query, key, value and output projections
    projections: ClassVar[tuple[str, str, str, str]] = ("q_proj", "k_proj", "v_proj", "out_proj")
    #: the scores' scale; None: `head_dim ** -0.5`
    score_scale: ClassVar[float | None] = None
    num_heads: int
    dropout: nnx.Dropout

    def keys_values(self, states: Array) -> CrossCache:
        """Keys and values of `states`, split into heads."""
        _, key, value, _ = self.projections
        return CrossCache(
            split_heads(getattr(self, key)(states), self.num_heads),
            split_heads(getattr(self, value)(states), self.num_heads),
        )

    def __call__(
        self,
        hidden: Array,
        bias: Array | None,
        *,
        key_value_states: Array | None = None,
        cross: CrossCache | None = None,
        cache: LayerCache | None = None,
        index: Any = 0,
    ) -> tuple[Array, Array, LayerCache | None]:
        """Self-attention (keys from `hidden`, written to `cache` at `index`) or, given
        `key_value_states` or their projected `cross`, attention over the encoder."""
        query_name, _, _, output_name = self.projections
        query = split_heads(getattr(self, query_name)(hidden), self.num_heads)
        if cross is None:
            cross = self.keys_values(hidden if key_value_states is None else key_value_states)
        key, value = cross
        if cache is not None:
            cache = cache.written(key, value, index)
            key, value = cache.key, cache.value
        out, weights = attention(
            query, key, value, bias, scale=self.score_scale, dropout=self.dropout
        )
        return getattr(self, output_name)(merge_heads(out)), weights, cache


class Seq2SeqAttention(CachedAttention):
    """Multi-head attention with BART's names (`q_proj`, `k_proj`, `v_proj`, `out_proj`)."""

    def __init__(self, config: Any, heads: int, *, dtype: Any, rngs: nnx.Rngs) -> None:
        dim, std = config.d_model, _std(config)
        self.num_heads = heads
        self.q_proj = dense(dim, dim, std=std, dtype=dtype, rngs=rngs)
        self.k_proj = dense(dim, dim, std=std, dtype=dtype, rngs=rngs)
        self.v_proj = dense(dim, dim, std=std, dtype=dtype, rngs=rngs)
        self.out_proj = dense(dim, dim, std=std, dtype=dtype, rngs=rngs)
        self.dropout = dropout(float(getattr(config, "attention_dropout", 0.0) or 0.0), rngs)


class _Seq2SeqLayer(nnx.Module):
    """What encoder and decoder layers share: the norms, the feed-forward network, the order."""

    pre_norm: ClassVar[bool] = False
    side: ClassVar[str] = "encoder"

    def build_common(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        dim, std = config.d_model, _std(config)
        heads = getattr(config, f"{self.side}_attention_heads")
        ffn = getattr(config, f"{self.side}_ffn_dim")
        self.self_attn = Seq2SeqAttention(config, heads, dtype=dtype, rngs=rngs)
        self.self_attn_layer_norm = layer_norm(dim, NORM_EPS, dtype=dtype, rngs=rngs)
        self.fc1 = dense(dim, ffn, std=std, dtype=dtype, rngs=rngs)
        self.fc2 = dense(ffn, dim, std=std, dtype=dtype, rngs=rngs)
        self.final_layer_norm = layer_norm(dim, NORM_EPS, dtype=dtype, rngs=rngs)
        self.activation_fn = activation_fn(config.activation_function)
        self.dropout = dropout(float(config.dropout), rngs)
        self.activation_dropout = dropout(float(config.activation_dropout or 0.0), rngs)

    def residual(self, hidden: Array, norm: nnx.Module, sublayer: Any) -> tuple[Array, Any]:
        """Pre-norm `x + f(norm(x))` or post-norm `norm(x + f(x))`; `sublayer` returns
        `(output, extra)`."""
        out, extra = sublayer(norm(hidden) if self.pre_norm else hidden)
        hidden = hidden + self.dropout(out)
        return (hidden if self.pre_norm else norm(hidden)), extra

    def feed_forward(self, hidden: Array) -> tuple[Array, None]:
        inner = self.activation_dropout(self.activation_fn(self.fc1(hidden)))
        return self.fc2(inner), None


class Seq2SeqEncoderLayer(_Seq2SeqLayer):
    side = "encoder"

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.build_common(config, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        def attend(x: Array) -> tuple[Array, Array]:
            out, weights, _ = self.self_attn(x, bias)
            return out, weights

        hidden, weights = self.residual(hidden, self.self_attn_layer_norm, attend)
        hidden, _ = self.residual(hidden, self.final_layer_norm, self.feed_forward)
        return hidden, weights


class Seq2SeqDecoderLayer(_Seq2SeqLayer):
    side = "decoder"

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.build_common(config, dtype=dtype, rngs=rngs)
        heads = config.decoder_attention_heads
        self.encoder_attn = Seq2SeqAttention(config, heads, dtype=dtype, rngs=rngs)
        self.encoder_attn_layer_norm = layer_norm(config.d_model, NORM_EPS, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        hidden: Array,
        bias: Array,
        encoder_states: Array | None,
        encoder_bias: Array | None,
        *,
        cross: CrossCache | None = None,
        cache: LayerCache | None = None,
        index: Any = 0,
    ) -> tuple[Array, Array, Array | None, LayerCache | None]:
        """`(hidden, self weights, cross weights, cache)`; without encoder states (a decoder
        used alone) the cross-attention sublayer is skipped, as in the reference."""

        def attend(x: Array) -> tuple[Array, tuple]:
            out, weights, new = self.self_attn(x, bias, cache=cache, index=index)
            return out, (weights, new)

        hidden, (weights, cache) = self.residual(hidden, self.self_attn_layer_norm, attend)
        cross_weights = None
        if encoder_states is not None or cross is not None:

            def attend_encoder(x: Array) -> tuple[Array, Array]:
                out, w, _ = self.encoder_attn(
                    x, encoder_bias, key_value_states=encoder_states, cross=cross
                )
                return out, w

            hidden, cross_weights = self.residual(
                hidden, self.encoder_attn_layer_norm, attend_encoder
            )
        hidden, _ = self.residual(hidden, self.final_layer_norm, self.feed_forward)
        return hidden, weights, cross_weights, cache


# ------------------------------------------------------------------------ stacks
class _Stack(nnx.Module):
    """Embeddings, positions and layers of one side; the switches are class attributes."""

    layer_class: ClassVar[type[nnx.Module]]
    positions: ClassVar[str] = "learned"  # or "sinusoidal" (a fixed table, not a parameter)
    position_offset: ClassVar[int] = 2  # learned tables are read at position + offset
    embedding_norm: ClassVar[bool] = True  # `layernorm_embedding` after tokens + positions
    final_norm: ClassVar[bool] = False  # `layer_norm` after the last layer
    layers_field: ClassVar[str]

    def __init__(
        self, config: Any, *, own_embeddings: bool = False, dtype: Any, rngs: nnx.Rngs
    ) -> None:
        dim, std = config.d_model, _std(config)
        self.config = config
        self.embed_scale = math.sqrt(dim) if getattr(config, "scale_embedding", False) else 1.0
        self.embed_tokens = (
            embed(self.vocab_size(config), dim, std=std, dtype=dtype, rngs=rngs)
            if own_embeddings
            else None
        )
        if self.positions == "learned":
            rows = config.max_position_embeddings + self.position_offset
            self.embed_positions = embed(rows, dim, std=std, dtype=dtype, rngs=rngs)
        elif self.positions != "sinusoidal":
            raise ConfigError(f"{type(self).__name__}.positions must be 'learned' or 'sinusoidal'.")
        count = getattr(config, self.layers_field)
        self.layers = nnx.List(
            [self.layer_class(config, dtype=dtype, rngs=rngs) for _ in range(count)]
        )
        if self.embedding_norm:
            self.layernorm_embedding = layer_norm(dim, NORM_EPS, dtype=dtype, rngs=rngs)
        if self.final_norm:
            self.layer_norm = layer_norm(dim, NORM_EPS, dtype=dtype, rngs=rngs)
        self.dropout = dropout(float(config.dropout), rngs)

    def vocab_size(self, config: Any) -> int:
        return config.vocab_size

    def fixed_tables(self, prefix: str) -> dict[str, np.ndarray]:
        """Fixed position tables under their checkpoint key (what the reference saves)."""
        if self.positions != "sinusoidal":
            return {}
        rows = self.config.max_position_embeddings
        return {f"{prefix}embed_positions.weight": sinusoidal_table(rows, self.config.d_model)}

    def position_embeddings(self, input_ids: Array | None, positions: Array) -> Array:
        """Position vectors `[batch|1, length, dim]` for `positions` (0-based)."""
        if self.positions == "learned":
            return self.embed_positions(positions + self.position_offset)
        table = sinusoidal_table(self.config.max_position_embeddings, self.config.d_model)
        return jnp.asarray(table)[positions]

    def token_embeddings(self, input_ids: Array, shared: nnx.Embed | None) -> Array:
        table = self.embed_tokens if self.embed_tokens is not None else shared
        return table(input_ids) * self.embed_scale

    def embed(
        self,
        input_ids: Array | None,
        inputs_embeds: Array | None,
        positions: Array,
        shared: nnx.Embed | None,
    ) -> Array:
        """Token embeddings (scaled) + positions, the embedding norm, dropout."""
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if inputs_embeds is None:
            inputs_embeds = self.token_embeddings(input_ids, shared)
        hidden = inputs_embeds + self.position_embeddings(input_ids, positions).astype(
            inputs_embeds.dtype
        )
        if self.embedding_norm:
            hidden = self.layernorm_embedding(hidden)
        return self.dropout(hidden)

    def finish(self, hidden: Array) -> Array:
        return self.layer_norm(hidden) if self.final_norm else hidden


class Seq2SeqEncoder(_Stack):
    layer_class = Seq2SeqEncoderLayer
    layers_field = "encoder_layers"

    def __call__(
        self,
        input_ids: Array | None,
        attention_mask: Array | None,
        *,
        inputs_embeds: Array | None = None,
        shared: nnx.Embed | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[Array, tuple | None, tuple | None]:
        length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        hidden = self.embed(input_ids, inputs_embeds, jnp.arange(length)[None], shared)
        bias = padding_bias(attention_mask, hidden.dtype)
        states, weights = [], []
        for layer in self.layers:
            states.append(hidden)
            hidden, attn = layer(hidden, bias)
            weights.append(attn)
        hidden = self.finish(hidden)
        states.append(hidden)
        return (
            hidden,
            tuple(states) if output_hidden_states else None,
            tuple(weights) if output_attentions else None,
        )


class Seq2SeqDecoder(_Stack):
    layer_class = Seq2SeqDecoderLayer
    layers_field = "decoder_layers"

    def vocab_size(self, config: Any) -> int:
        return getattr(config, "decoder_vocab_size", None) or config.vocab_size

    def empty_cache(self, batch: int, max_length: int, dtype: Any) -> tuple[LayerCache, ...]:
        heads = self.config.decoder_attention_heads
        head_dim = self.config.d_model // heads
        return empty_cache(len(self.layers), batch, heads, max_length, head_dim, dtype)

    def cross_keys_values(self, encoder_states: Array) -> tuple[CrossCache, ...]:
        """Every layer's encoder keys and values (computed once per generation)."""
        return tuple(layer.encoder_attn.keys_values(encoder_states) for layer in self.layers)

    def __call__(
        self,
        input_ids: Array | None,
        attention_mask: Array | None,
        encoder_states: Array | None,
        encoder_mask: Array | None,
        *,
        inputs_embeds: Array | None = None,
        shared: nnx.Embed | None = None,
        positions: Array | None = None,
        cache: Seq2SeqCache | None = None,
        cache_index: Any = 0,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[Array, tuple | None, tuple | None, tuple | None, Seq2SeqCache | None]:
        """`(hidden, states, self weights, cross weights, cache)`. With `cache`, the tokens are
        written at `cache_index`; `attention_mask` then covers the whole cache
        (`[batch, max_length]`) and the encoder comes from the cache."""
        length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        columns = jnp.arange(length) + cache_index
        if positions is None:
            positions = columns[None]
        hidden = self.embed(input_ids, inputs_embeds, positions, shared)
        key_length = cache.layers[0].key.shape[2] if cache is not None and cache.layers else length
        bias = causal_bias(columns, key_length, attention_mask, hidden.dtype)
        if cache is not None:
            encoder_bias = cache.encoder_bias
        else:
            encoder_bias = padding_bias(encoder_mask, hidden.dtype)
        return run_decoder_layers(
            self.layers,
            hidden,
            bias,
            encoder_states,
            encoder_bias,
            cache=cache,
            cache_index=cache_index,
            final=self.finish,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
            cross_outputs=encoder_states is not None or cache is not None,
        )


def run_decoder_layers(
    layers: Iterable[Any],
    hidden: Array,
    bias: Array | None,
    encoder_states: Array | None,
    encoder_bias: Array | None,
    *,
    cache: Seq2SeqCache | None,
    cache_index: Any,
    final: Callable[[Array], Array],
    output_hidden_states: bool,
    output_attentions: bool,
    cross_outputs: bool,
) -> tuple[Array, tuple | None, tuple | None, tuple | None, Seq2SeqCache | None]:
    """The layer loop of a decoder stack (BART family, T5): each layer is called as
    `layer(hidden, bias, encoder_states, encoder_bias, cross=, cache=, index=)` and returns
    `(hidden, self weights, cross weights, layer cache)`; `final` runs after the last layer.
    Gives `(hidden, states, self weights, cross weights (with `cross_outputs`), cache)`."""
    states, weights, cross_weights, new_layers = [], [], [], []
    for index, layer in enumerate(layers):
        states.append(hidden)
        hidden, attn, cross_attn, layer_cache = layer(
            hidden,
            bias,
            encoder_states,
            encoder_bias,
            cross=cache.cross[index] if cache is not None else None,
            cache=cache.layers[index] if cache is not None else None,
            index=cache_index,
        )
        new_layers.append(layer_cache)
        weights.append(attn)
        cross_weights.append(cross_attn)
    hidden = final(hidden)
    states.append(hidden)
    if cache is not None:
        cache = cache._replace(layers=tuple(new_layers))
    return (
        hidden,
        tuple(states) if output_hidden_states else None,
        tuple(weights) if output_attentions else None,
        tuple(cross_weights) if output_attentions and cross_outputs else None,
        cache,
    )


def shift_tokens_right(ids: Array, pad_token_id: Any, start_token_id: Any) -> Array:
    """`[start, l0, ..., l(n-2)]`, -100 becoming padding (decoder inputs from labels)."""
    if pad_token_id is None or start_token_id is None:
        raise ConfigError(
            "Deriving decoder inputs needs pad_token_id and decoder_start_token_id in the config."
        )
    ids = jnp.asarray(ids)
    shifted = jnp.concatenate(
        [jnp.full((ids.shape[0], 1), start_token_id, ids.dtype), ids[:, :-1]], axis=1
    )
    return jnp.where(shifted == -100, pad_token_id, shifted)


def shift_tokens_right_mbart(ids: Array, pad_token_id: Any) -> Array:
    """mBART's shift: each row's last non-padding token (`</s>` or a language code) wraps to
    the front; -100 becomes padding."""
    if pad_token_id is None:
        raise ConfigError("shift_tokens_right_mbart needs pad_token_id in the config.")
    ids = jnp.asarray(ids)
    ids = jnp.where(ids == -100, pad_token_id, ids)
    last = jnp.maximum(jnp.sum(ids != pad_token_id, axis=1) - 1, 0)
    start = jnp.take_along_axis(ids, last[:, None], axis=1)
    return jnp.concatenate([start, ids[:, :-1]], axis=1)


__all__ = [
    "CachedAttention",
    "CrossCache",
    "Seq2SeqAttention",
    "Seq2SeqCache",
    "Seq2SeqDecoder",
    "Seq2SeqDecoderLayer",
    "Seq2SeqEncoder",
    "Seq2SeqEncoderLayer",
    "run_decoder_layers",
    "shift_tokens_right",
    "shift_tokens_right_mbart",
    "sinusoidal_table",
]
