"""BERT-style Flax base models: the embeddings and the base model around `blocks.Encoder`.

The Flax side of `tfx_core.modeling.torch.blocks.encoder_model`, with the same switches:
`EncoderEmbeddings.padding_offset_positions` (fairseq's position numbering: RoBERTa) and the
plugin's `embeddings_class` on `EncoderModel`. Names are the checkpoints' (`embeddings.*`,
`encoder.layer.N.*`, `pooler.dense`), so one checkpoint serves both frameworks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import blocks, heads, layers
from tfx_core.modeling.flax.inputs import flag, input_ids_array, optional_array
from tfx_core.modeling.outputs import BaseModelOutputWithPoolingAndPast

Array = jax.Array


def offset_position_ids(input_ids: Array, padding_idx: int, past_length: Any = 0) -> Array:
    """`padding_idx + 1 + past_length + index among non-padding tokens`; padding gets
    `padding_idx` (fairseq's numbering, `past_length` tokens already cached)."""
    not_pad = (input_ids != padding_idx).astype(jnp.int32)
    return (jnp.cumsum(not_pad, axis=1) + past_length) * not_pad + padding_idx


class EncoderEmbeddings(nnx.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout.

    Positions count from 0 (after `past_length` cached tokens), or with
    `padding_offset_positions` from `pad_token_id + 1` over non-padding tokens, padding at
    `pad_token_id`.
    """

    padding_offset_positions: ClassVar[bool] = False

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std, hidden = config.initializer_range, config.hidden_size
        self.word_embeddings = layers.embed(
            config.vocab_size, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.position_embeddings = layers.embed(
            config.max_position_embeddings, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.token_type_embeddings = layers.embed(
            config.type_vocab_size, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.LayerNorm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)
        self.dropout = layers.dropout(config.hidden_dropout_prob, rngs)
        if self.padding_offset_positions:
            # Only then: another node would shift the dropout keys a loaded BERT draws.
            self.padding_idx = config.pad_token_id
        self.max_positions = config.max_position_embeddings

    def __call__(
        self,
        input_ids: Array,
        token_type_ids: Array | None,
        position_ids: Array | None,
        past_length: Any = 0,
    ) -> Array:
        if position_ids is None:
            position_ids = self._position_ids(input_ids, past_length)
        if token_type_ids is None:
            token_type_ids = jnp.zeros_like(input_ids)
        hidden = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(position_ids)
        )
        return self.dropout(self.LayerNorm(hidden))

    def _position_ids(self, input_ids: Array, past_length: Any) -> Array:
        length = input_ids.shape[1]
        offset = self.padding_idx + 1 if self.padding_offset_positions else 0
        if offset + length > self.max_positions:
            raise ConfigError(
                f"The input has {length} tokens but this model handles at most "
                f"{self.max_positions - offset} (max_position_embeddings="
                f"{self.max_positions}): truncate it (e.g. tokenizer(..., truncation=True))."
            )
        if self.padding_offset_positions:
            return offset_position_ids(input_ids, self.padding_idx, past_length)
        return jnp.arange(length)[None] + past_length


class EncoderModel:
    """The base model (mixed in before the plugin's `FlaxPreTrainedModel`): embeddings,
    `blocks.Encoder` and, unless `add_pooling_layer=False`, `blocks.Pooler`.

    Absolute position embeddings only; no cross-attention. With `config.is_decoder` the
    self-attention is causal and `init_cache` gives the KV cache `generate` decodes with.
    """

    embeddings_class: ClassVar[type[nnx.Module]] = EncoderEmbeddings

    def __init__(
        self,
        config: Any,
        *,
        dtype: Any = jnp.float32,
        rngs: nnx.Rngs,
        add_pooling_layer: bool = True,
    ) -> None:
        super().__init__(config, dtype=dtype)  # type: ignore[call-arg]
        name = type(self).__name__
        kind = getattr(config, "position_embedding_type", "absolute")
        if kind != "absolute":
            raise ConfigError(
                f"{name} supports position_embedding_type='absolute' only, got {kind!r}: use "
                "the PyTorch model for this checkpoint."
            )
        if getattr(config, "add_cross_attention", False):
            raise ConfigError(
                f"{type(config).__name__} field 'add_cross_attention' is true: {name} has no "
                "cross-attention (the decoder of an encoder-decoder model); use the PyTorch model."
            )
        self.embeddings = self.embeddings_class(config, dtype=dtype, rngs=rngs)
        self.encoder = blocks.Encoder(config, dtype=dtype, rngs=rngs)
        self.pooler = blocks.Pooler(config, dtype=dtype, rngs=rngs) if add_pooling_layer else None

    def get_input_embeddings(self) -> nnx.Embed:
        return self.embeddings.word_embeddings

    def init_cache(self, batch: int, max_length: int) -> tuple | None:
        """Zeroed keys/values for `max_length` positions per layer (None unless `is_decoder`:
        a bidirectional encoder cannot reuse earlier positions)."""
        if not self.config.is_decoder:  # type: ignore[attr-defined]
            return None
        return self.encoder.init_cache(batch, max_length, self.param_dtype)  # type: ignore[attr-defined]

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        *,
        cache: tuple | None = None,
        cache_index: Any = 0,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        """With `cache` (from `init_cache`), the tokens are written at `cache_index` and attend
        to every earlier cached position that `attention_mask` (`[batch, max_length]`) keeps."""
        config = self.config  # type: ignore[attr-defined]
        input_ids = input_ids_array(input_ids)
        token_type_ids, position_ids = optional_array(token_type_ids), optional_array(position_ids)
        hidden = self.embeddings(input_ids, token_type_ids, position_ids, cache_index)
        bias = blocks.decoder_bias(config, hidden.shape[1], attention_mask, cache, cache_index)
        hidden, states, weights, cache = self.encoder(
            hidden,
            bias,
            cache=cache,
            cache_index=cache_index,
            output_hidden_states=flag(output_hidden_states, config.output_hidden_states),
            output_attentions=flag(output_attentions, config.output_attentions),
        )
        outputs = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            past_key_values=cache,
            hidden_states=states,
            attentions=weights,
        )
        return heads.finish(outputs, return_dict, config)


class VocabularyProjection(nnx.Module):
    """What an LM head ends with: `decoder` (its own weights, or None when tied to the word
    embeddings, the reference's default) and the output `bias`."""

    def build_projection(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        tied, std = config.tie_word_embeddings, config.initializer_range
        self.decoder = layers.lm_projection(
            tied, config.hidden_size, config.vocab_size, std=std, dtype=dtype, rngs=rngs
        )
        self.bias = nnx.Param(jnp.zeros((config.vocab_size,), dtype))

    def project(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        """Vocabulary logits of the transformed `hidden`."""
        return layers.vocab_logits(self.decoder, word_embeddings, hidden) + self.bias[...]


__all__ = [
    "EncoderEmbeddings",
    "EncoderModel",
    "VocabularyProjection",
    "flag",
    "offset_position_ids",
]
