"""T5 and mT5 in Flax nnx, with the reference's module names (the checkpoint keys).

```
shared                                   token embeddings (also each stack's embed_tokens)
{encoder,decoder}.block.N.layer.0        layer_norm, SelfAttention.{q,k,v,o}
                                         (+ relative_attention_bias in block 0)
decoder.block.N.layer.1                  layer_norm, EncDecAttention.{q,k,v,o}
{encoder,decoder}.block.N.layer.-1       layer_norm, DenseReluDense.{wi | wi_0, wi_1, wo}
{encoder,decoder}.final_layer_norm
lm_head                                  untied in v1.1 / mT5; tied in v1.0 (then the decoder
                                         output is scaled by d_model ** -0.5 first)
```
T5's own math: pre-norm blocks with an RMS norm in float32 (no mean, no bias), no 1/sqrt(d)
scaling of the scores, and a learned per-head bias of the bucketed relative position, computed
once per stack by block 0 and shared by every block. Generation reuses the core's seq2seq cache
(`tfx_core.modeling.flax.seq2seq.Seq2SeqCache`) and jitted programs.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import FlaxPreTrainedModel
from tfx_core.modeling.flax.attention import padding_bias
from tfx_core.modeling.flax.decoder import LayerCache, empty_cache
from tfx_core.modeling.flax.heads import finish
from tfx_core.modeling.flax.inputs import as_encoder_output, flag, optional_array, seq2seq_output
from tfx_core.modeling.flax.layers import (
    activation_fn,
    dense,
    dropout,
    embed,
    lm_projection,
    vocab_logits,
)
from tfx_core.modeling.flax.losses import cross_entropy
from tfx_core.modeling.flax.seq2seq import (
    CachedAttention,
    CrossCache,
    Seq2SeqCache,
    run_decoder_layers,
    shift_tokens_right,
)
from tfx_core.modeling.flax.seq2seq_generation import FlaxSeq2SeqGenerationMixin
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.outputs import BaseModelOutput, Seq2SeqLMOutput, Seq2SeqModelOutput
from tfx_plugin_t5.configuration_t5 import MT5Config, T5Config

Array = jax.Array

__all__ = [
    "FlaxMT5EncoderModel",
    "FlaxMT5ForConditionalGeneration",
    "FlaxMT5Model",
    "FlaxT5EncoderModel",
    "FlaxT5ForConditionalGeneration",
    "FlaxT5Model",
]


def relative_position_bucket(
    relative: Array, *, bidirectional: bool, num_buckets: int, max_distance: int
) -> Array:
    """Bucket of each `key - query` offset: exact below half the buckets, log-spaced up to
    `max_distance`, one bucket beyond; bidirectional buckets give half the range to each sign."""
    buckets = jnp.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative > 0).astype(relative.dtype) * num_buckets
        distance = jnp.abs(relative)
    else:
        distance = jnp.maximum(-relative, 0)
    exact = num_buckets // 2
    safe = jnp.maximum(distance, 1).astype(jnp.float32)
    log_ratio = jnp.log(safe / exact) / math.log(max_distance / exact)
    far = exact + (log_ratio * (num_buckets - exact)).astype(relative.dtype)
    far = jnp.minimum(far, num_buckets - 1)
    return buckets + jnp.where(distance < exact, distance, far)


class T5LayerNorm(nnx.Module):
    """RMS norm in float32 without mean or bias: `weight * x / sqrt(mean(x^2) + eps)`."""

    def __init__(self, features: int, eps: float, *, dtype: Any) -> None:
        self.weight = nnx.Param(jnp.ones((features,), dtype))
        self.eps = eps

    def __call__(self, hidden: Array) -> Array:
        x = hidden.astype(jnp.float32)
        x = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + self.eps)
        weight = self.weight[...]
        return weight * x.astype(weight.dtype)


def _linear(config: Any, features_in: int, features_out: int, std: float, dtype, rngs) -> Any:
    return dense(features_in, features_out, std=std, use_bias=False, dtype=dtype, rngs=rngs)


class T5Attention(CachedAttention):
    """`q`, `k`, `v`, `o` without biases; scores unscaled; optional bucket table."""

    projections = ("q", "k", "v", "o")
    score_scale = 1.0

    def __init__(
        self, config: Any, has_bias: bool, *, is_decoder: bool, dtype: Any, rngs: nnx.Rngs
    ) -> None:
        factor, d_model = config.initializer_factor, config.d_model
        inner = config.num_heads * config.d_kv
        self.num_heads = config.num_heads
        self.is_decoder = is_decoder
        self.num_buckets = config.relative_attention_num_buckets
        self.max_distance = config.relative_attention_max_distance
        self.q = _linear(
            config, d_model, inner, factor * (d_model * config.d_kv) ** -0.5, dtype, rngs
        )
        self.k = _linear(config, d_model, inner, factor * d_model**-0.5, dtype, rngs)
        self.v = _linear(config, d_model, inner, factor * d_model**-0.5, dtype, rngs)
        self.o = _linear(config, inner, d_model, factor * inner**-0.5, dtype, rngs)
        self.relative_attention_bias = (
            embed(
                self.num_buckets, self.num_heads, std=factor * d_model**-0.5, dtype=dtype, rngs=rngs
            )
            if has_bias
            else None
        )
        self.dropout = dropout(config.dropout_rate, rngs)

    def compute_bias(self, query_positions: Array, key_positions: Array) -> Array:
        """`[batch|1, heads, q, k]` bias of keys at `key_positions` (`[k]` or `[b, k]`) seen
        from queries at `query_positions` (`[q]` or `[b, q]`)."""
        queries = query_positions if query_positions.ndim == 2 else query_positions[None]
        keys = key_positions if key_positions.ndim == 2 else key_positions[None]
        relative = keys[:, None, :] - queries[:, :, None]
        buckets = relative_position_bucket(
            relative.astype(jnp.int32),
            bidirectional=not self.is_decoder,
            num_buckets=self.num_buckets,
            max_distance=self.max_distance,
        )
        return jnp.transpose(self.relative_attention_bias(buckets), (0, 3, 1, 2))


class T5LayerSelfAttention(nnx.Module):
    def __init__(self, config, has_bias, *, is_decoder, dtype, rngs) -> None:
        self.SelfAttention = T5Attention(
            config, has_bias, is_decoder=is_decoder, dtype=dtype, rngs=rngs
        )
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon, dtype=dtype)
        self.dropout = dropout(config.dropout_rate, rngs)

    def __call__(self, hidden, bias, cache, index):
        out, weights, cache = self.SelfAttention(
            self.layer_norm(hidden), bias, cache=cache, index=index
        )
        return hidden + self.dropout(out), weights, cache


class T5LayerCrossAttention(nnx.Module):
    def __init__(self, config, *, dtype, rngs) -> None:
        self.EncDecAttention = T5Attention(config, False, is_decoder=True, dtype=dtype, rngs=rngs)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon, dtype=dtype)
        self.dropout = dropout(config.dropout_rate, rngs)

    def __call__(self, hidden, encoder_states, bias, cross):
        out, weights, _ = self.EncDecAttention(
            self.layer_norm(hidden), bias, key_value_states=encoder_states, cross=cross
        )
        return hidden + self.dropout(out), weights


class T5DenseActDense(nnx.Module):
    """v1.0: `wo(dropout(act(wi(x))))`."""

    def __init__(self, config, *, dtype, rngs) -> None:
        factor, d_model, d_ff = config.initializer_factor, config.d_model, config.d_ff
        self.wi = _linear(config, d_model, d_ff, factor * d_model**-0.5, dtype, rngs)
        self.wo = _linear(config, d_ff, d_model, factor * d_ff**-0.5, dtype, rngs)
        self.act = activation_fn(config.dense_act_fn)
        self.dropout = dropout(config.dropout_rate, rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.wo(self.dropout(self.act(self.wi(hidden))))


class T5DenseGatedActDense(nnx.Module):
    """v1.1 / mT5: `wo(dropout(act(wi_0(x)) * wi_1(x)))`."""

    def __init__(self, config, *, dtype, rngs) -> None:
        factor, d_model, d_ff = config.initializer_factor, config.d_model, config.d_ff
        self.wi_0 = _linear(config, d_model, d_ff, factor * d_model**-0.5, dtype, rngs)
        self.wi_1 = _linear(config, d_model, d_ff, factor * d_model**-0.5, dtype, rngs)
        self.wo = _linear(config, d_ff, d_model, factor * d_ff**-0.5, dtype, rngs)
        self.act = activation_fn(config.dense_act_fn)
        self.dropout = dropout(config.dropout_rate, rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.wo(self.dropout(self.act(self.wi_0(hidden)) * self.wi_1(hidden)))


class T5LayerFF(nnx.Module):
    def __init__(self, config, *, dtype, rngs) -> None:
        dense_class = T5DenseGatedActDense if config.is_gated_act else T5DenseActDense
        self.DenseReluDense = dense_class(config, dtype=dtype, rngs=rngs)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon, dtype=dtype)
        self.dropout = dropout(config.dropout_rate, rngs)

    def __call__(self, hidden: Array) -> Array:
        return hidden + self.dropout(self.DenseReluDense(self.layer_norm(hidden)))


class T5Block(nnx.Module):
    """`layer`: self-attention, cross-attention (decoder), feed-forward."""

    def __init__(self, config, has_bias, *, is_decoder, dtype, rngs) -> None:
        layers: list[nnx.Module] = [
            T5LayerSelfAttention(config, has_bias, is_decoder=is_decoder, dtype=dtype, rngs=rngs)
        ]
        if is_decoder:
            layers.append(T5LayerCrossAttention(config, dtype=dtype, rngs=rngs))
        layers.append(T5LayerFF(config, dtype=dtype, rngs=rngs))
        self.layer = nnx.List(layers)
        self.is_decoder = is_decoder

    def __call__(self, hidden, bias, encoder_states, encoder_bias, cross, cache, index):
        hidden, weights, cache = self.layer[0](hidden, bias, cache, index)
        cross_weights = None
        if self.is_decoder and (encoder_states is not None or cross is not None):
            hidden, cross_weights = self.layer[1](hidden, encoder_states, encoder_bias, cross)
        return self.layer[-1](hidden), weights, cross_weights, cache


class T5Stack(nnx.Module):
    """T5's encoder or decoder: `block`s and `final_layer_norm` (embeddings passed in)."""

    def __init__(self, config, *, is_decoder: bool, dtype: Any, rngs: nnx.Rngs) -> None:
        count = config.num_decoder_layers if is_decoder else config.num_layers
        self.block = nnx.List(
            [
                T5Block(config, i == 0, is_decoder=is_decoder, dtype=dtype, rngs=rngs)
                for i in range(count)
            ]
        )
        self.final_layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon, dtype=dtype)
        self.dropout = dropout(config.dropout_rate, rngs)
        self.is_decoder = is_decoder
        self.config = config

    def self_bias(
        self, query_positions: Array, key_positions: Array, mask: Array | None, dtype: Any
    ) -> Array | None:
        """Relative position bias + padding (+ causal in the decoder) mask."""
        minimum = jnp.finfo(dtype).min
        keys = key_positions if key_positions.ndim == 2 else key_positions[None]
        queries = query_positions if query_positions.ndim == 2 else query_positions[None]
        visible = jnp.ones((1, queries.shape[1], keys.shape[1]), bool)
        if self.is_decoder:
            visible = keys[:, None, :] <= queries[:, :, None]
        if mask is not None:
            visible = visible & (jnp.asarray(mask)[:, None, :] > 0)
        bias = jnp.where(visible, 0.0, minimum)[:, None].astype(dtype)
        first = self.block[0].layer[0].SelfAttention if len(self.block) else None
        if first is None or first.relative_attention_bias is None:
            return bias
        return first.compute_bias(query_positions, key_positions).astype(dtype) + bias

    def empty_cache(self, batch: int, max_length: int, dtype: Any) -> tuple[LayerCache, ...]:
        config = self.config
        return empty_cache(len(self.block), batch, config.num_heads, max_length, config.d_kv, dtype)

    def cross_keys_values(self, encoder_states: Array) -> tuple[CrossCache, ...]:
        return tuple(b.layer[1].EncDecAttention.keys_values(encoder_states) for b in self.block)

    def __call__(
        self,
        inputs_embeds: Array,
        attention_mask: Array | None,
        encoder_states: Array | None = None,
        encoder_mask: Array | None = None,
        *,
        positions: Array | None = None,
        cache: Seq2SeqCache | None = None,
        cache_index: Any = 0,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[Array, tuple | None, tuple | None, tuple | None, Seq2SeqCache | None]:
        length = inputs_embeds.shape[1]
        dtype = inputs_embeds.dtype
        if cache is not None:  # keys at their real positions (left padding of decoder prompts)
            key_positions = jnp.cumsum(jnp.asarray(attention_mask), axis=1) - 1
            queries = positions if positions is not None else jnp.arange(length) + cache_index
            columns = jnp.arange(length) + cache_index
            bias = self.self_bias(queries, key_positions, attention_mask, dtype)
            causal = jnp.arange(key_positions.shape[1])[None, :] <= columns[:, None]
            bias = jnp.where(causal[None, None], bias, jnp.finfo(dtype).min)
            encoder_bias = cache.encoder_bias
        else:
            positions = jnp.arange(length)
            bias = self.self_bias(positions, positions, attention_mask, dtype)
            encoder_bias = padding_bias(encoder_mask, dtype)
        return run_decoder_layers(
            self.block,
            self.dropout(inputs_embeds),
            bias,
            encoder_states,
            encoder_bias,
            cache=cache,
            cache_index=cache_index,
            final=lambda hidden: self.dropout(self.final_layer_norm(hidden)),
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
            cross_outputs=self.is_decoder,
        )


class FlaxT5PreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[T5Config]] = T5Config
    base_model_prefix: ClassVar[str] = "transformer"
    shared_keys: ClassVar[tuple[str, ...]] = (
        "encoder.embed_tokens.weight",
        "decoder.embed_tokens.weight",
    )
    tied_keys: ClassVar[tuple[str, ...]] = ("lm_head.weight",)
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$"
    ]


class FlaxT5EncoderModel(FlaxT5PreTrainedModel):
    """The encoder alone (`shared` + `encoder`)."""

    ignore_unexpected_keys: ClassVar[list[str]] = [r"^decoder\.", r"^lm_head\."]

    def __init__(self, config: T5Config, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype)
        std = config.initializer_factor
        self.shared = embed(config.vocab_size, config.d_model, std=std, dtype=dtype, rngs=rngs)
        self.encoder = T5Stack(config, is_decoder=False, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.shared

    def encode(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ) -> BaseModelOutput:
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if inputs_embeds is None:
            inputs_embeds = self.shared(jnp.asarray(input_ids))
        hidden, states, weights, _, _ = self.encoder(
            inputs_embeds,
            optional_array(attention_mask),
            output_hidden_states=flag(output_hidden_states, self.config.output_hidden_states),
            output_attentions=flag(output_attentions, self.config.output_attentions),
        )
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=states, attentions=weights)

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.encode(
            input_ids, attention_mask, inputs_embeds, output_attentions, output_hidden_states
        )
        return finish(outputs, return_dict, self.config)


class FlaxT5Model(FlaxT5EncoderModel):
    """`shared`, `encoder`, `decoder`: the decoder's last hidden state (`Seq2SeqModelOutput`)."""

    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^lm_head\.",
        *FlaxT5PreTrainedModel.ignore_unexpected_keys,
    ]
    output_class: ClassVar[type] = Seq2SeqModelOutput

    def __init__(self, config: T5Config, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype, rngs=rngs)
        self.decoder = T5Stack(config, is_decoder=True, dtype=dtype, rngs=rngs)
        self.build_head(config, dtype, rngs)

    def build_head(self, config: T5Config, dtype: Any, rngs: nnx.Rngs) -> None:
        """The head's layers (none for the base model)."""

    def run(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        decoder_input_ids: Any = None,
        decoder_attention_mask: Any = None,
        encoder_outputs: Any = None,
        inputs_embeds: Any = None,
        decoder_inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ) -> tuple[BaseModelOutput, tuple]:
        encoder_outputs = as_encoder_output(
            self,
            encoder_outputs,
            input_ids,
            attention_mask,
            inputs_embeds,
            output_attentions,
            output_hidden_states,
        )
        if (decoder_input_ids is None) == (decoder_inputs_embeds is None):
            raise ConfigError(
                f"{type(self).__name__} needs exactly one of decoder_input_ids and "
                "decoder_inputs_embeds (or labels on the ...ForConditionalGeneration head)."
            )
        if decoder_inputs_embeds is None:
            decoder_inputs_embeds = self.shared(jnp.asarray(decoder_input_ids))
        decoded = self.decoder(
            decoder_inputs_embeds,
            optional_array(decoder_attention_mask),
            encoder_outputs.last_hidden_state,
            optional_array(attention_mask),
            output_hidden_states=flag(output_hidden_states, self.config.output_hidden_states),
            output_attentions=flag(output_attentions, self.config.output_attentions),
        )
        return encoder_outputs, decoded

    def seq2seq_output(self, encoder, decoded, return_dict, **fields) -> Any:
        return seq2seq_output(
            self.output_class, encoder, decoded, return_dict, self.config, **fields
        )

    def __call__(self, return_dict: bool | None = None, **kwargs: Any) -> Any:
        encoder, decoded = self.run(**kwargs)
        return self.seq2seq_output(encoder, decoded, return_dict, last_hidden_state=decoded[0])


class FlaxT5ForConditionalGeneration(FlaxSeq2SeqGenerationMixin, FlaxT5Model):
    """T5 with its language-modeling head (`lm_head`) and jitted `generate`."""

    ignore_unexpected_keys: ClassVar[list[str]] = FlaxT5PreTrainedModel.ignore_unexpected_keys
    output_class: ClassVar[type] = Seq2SeqLMOutput

    def build_head(self, config: T5Config, dtype: Any, rngs: nnx.Rngs) -> None:
        tied, std = config.tie_word_embeddings, config.initializer_factor
        self.lm_head = lm_projection(
            tied, config.d_model, config.vocab_size, std=std, dtype=dtype, rngs=rngs
        )

    def _source_limit(self) -> None:
        return None  # relative positions: no limit

    def _decoder_limit(self) -> None:
        return None

    def lm_logits(self, hidden: Array) -> Array:
        if self.lm_head is None:  # v1.0 rescales before the tied projection
            hidden = hidden * self.config.d_model**-0.5
        return vocab_logits(self.lm_head, self.shared, hidden)

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        derive = kwargs.get("decoder_input_ids") is None
        if labels is not None and derive and kwargs.get("decoder_inputs_embeds") is None:
            config = self.config
            kwargs["decoder_input_ids"] = shift_tokens_right(
                labels, config.pad_token_id, config.decoder_start_token_id
            )
        encoder, decoded = self.run(**kwargs)
        logits = self.lm_logits(decoded[0])
        loss = cross_entropy(logits, labels) if labels is not None else None
        return self.seq2seq_output(encoder, decoded, return_dict, loss=loss, logits=logits)

    # ------------------------------------------------------------ generation hooks
    def _run_decoder(self, input_ids, position_ids, key_mask, *, cache=None, index=0, encoder=None):
        states, mask = encoder if encoder is not None else (None, None)
        hidden, _, _, _, cache = self.decoder(
            self.shared(input_ids),
            key_mask,
            states,
            mask,
            positions=position_ids,
            cache=cache,
            cache_index=index,
        )
        return hidden, cache


class FlaxMT5EncoderModel(FlaxT5EncoderModel):
    config_class = MT5Config


class FlaxMT5Model(FlaxT5Model):
    config_class = MT5Config


class FlaxMT5ForConditionalGeneration(FlaxT5ForConditionalGeneration):
    config_class = MT5Config
