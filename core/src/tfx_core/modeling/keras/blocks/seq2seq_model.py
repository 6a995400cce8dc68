"""The BART-family encoder, decoder and base model in Keras (`shared`, `encoder`, `decoder`).

Mirrors the PyTorch `blocks.seq2seq_model`: a variant is a few class attributes on one-line
subclasses (`layer_class` with its `pre_norm`, `positions_class`, `embedding_norm`,
`final_norm`), `scale_embedding` comes from the config, `position_embeddings(...)` is the hook
for position schemes that read the token ids (M2M100). Marian without shared vocabularies
(`share_encoder_decoder_embeddings=False`) has no `shared`: each side owns its embeddings.

The decoder's `run` is what both `call` and the compiled generation loop use: one copy of the
math, with a static self-attention cache and cross-attention keys/values projected once.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq import (
    LearnedPositions,
    ScaledEmbedding,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.keras.blocks.seq2seq_stack import (
    DecoderStackMixin,
    EncoderDecoderMixin,
    as_encoder_output,
    reject_unused,
)
from tfx_core.modeling.keras.layers import dropout, layer_norm, padding_bias
from tfx_core.modeling.outputs import BaseModelOutput

__all__ = [
    "TFSeq2SeqDecoder",
    "TFSeq2SeqEncoder",
    "TFSeq2SeqModel",
    "as_encoder_output",
    "reject_unused",
    "shift_tokens_right",
    "shift_tokens_right_mbart",
]


def shift_tokens_right(input_ids: Any, pad_token_id: Any, decoder_start_token_id: Any) -> Any:
    """`[start, t0, ..., t(n-2)]` from `[t0, ..., t(n-1)]`; label -100 becomes padding."""
    if decoder_start_token_id is None or pad_token_id is None:
        raise ConfigError(
            "Deriving decoder inputs needs decoder_start_token_id and pad_token_id in the config."
        )
    ids = tf.cast(input_ids, tf.int32)
    start = tf.fill((tf.shape(ids)[0], 1), tf.constant(decoder_start_token_id, tf.int32))
    shifted = tf.concat([start, ids[:, :-1]], axis=1)
    return tf.where(shifted == -100, tf.constant(pad_token_id, tf.int32), shifted)


def shift_tokens_right_mbart(input_ids: Any, pad_token_id: Any) -> Any:
    """mBART's shift: each row's last non-padding token (its language code) starts the row."""
    if pad_token_id is None:
        raise ConfigError("shift_tokens_right_mbart needs pad_token_id in the config.")
    ids = tf.cast(input_ids, tf.int32)
    ids = tf.where(ids == -100, tf.constant(pad_token_id, tf.int32), ids)
    last = tf.maximum(tf.reduce_sum(tf.cast(ids != pad_token_id, tf.int32), axis=1) - 1, 0)
    start = tf.gather(ids, last[:, None], batch_dims=1)
    return tf.concat([start, ids[:, :-1]], axis=1)


def shares_embeddings(config: Any) -> bool:
    return bool(getattr(config, "share_encoder_decoder_embeddings", True))


class _Stack(keras.layers.Layer):
    """Embeddings, positions and layers of one side; the switches are class attributes."""

    layer_class: ClassVar[type]
    positions_class: ClassVar[type] = LearnedPositions
    embedding_norm: ClassVar[bool] = True  # `layernorm_embedding` after embeddings + positions
    final_norm: ClassVar[bool] = False  # `layer_norm` after the last layer
    layers_field: ClassVar[str]

    def __init__(self, config: Any, embed_tokens: Any = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.config = config
        dim, std = config.d_model, getattr(config, "init_std", 0.02)
        scale = math.sqrt(dim) if getattr(config, "scale_embedding", False) else 1.0
        if embed_tokens is None:
            embed_tokens = ScaledEmbedding(self.vocab_size(config), dim, scale, std)
        self.embed_tokens = embed_tokens
        self.embed_positions = self.make_positions(config)
        self.max_positions = config.max_position_embeddings
        count = getattr(config, self.layers_field)
        self.layers = [self.layer_class(config, i) for i in range(count)]
        if self.embedding_norm:
            self.layernorm_embedding = layer_norm(dim, 1e-5)
        if self.final_norm:
            self.layer_norm = layer_norm(dim, 1e-5)
        self.dropout = dropout(float(config.dropout))

    def make_positions(self, config: Any) -> Any:
        return self.positions_class(config.max_position_embeddings, config.d_model)

    def vocab_size(self, config: Any) -> int:
        return config.vocab_size

    def position_embeddings(self, input_ids: Any, inputs_embeds: Any, past_length: Any) -> Any:
        """Position vectors `[length, dim]` (or `[batch, length, dim]`) for new tokens."""
        length = tf.shape(inputs_embeds)[1]
        return self.embed_positions(tf.range(length) + past_length)

    def positions_for(
        self, input_ids: Any, inputs_embeds: Any, past_length: Any, position_ids: Any = None
    ) -> Any:
        """The caller's `position_ids` embedded, else `position_embeddings(...)`."""
        if position_ids is not None:
            return self.embed_positions(position_ids)
        return self.position_embeddings(input_ids, inputs_embeds, past_length)

    def check_length(self, length: Any) -> None:
        if length is not None and length > self.max_positions:
            raise ConfigError(
                f"{type(self).__name__}: {length} positions exceed max_position_embeddings "
                f"({self.max_positions}); truncate the input."
            )

    def embed(
        self,
        input_ids: Any,
        inputs_embeds: Any,
        past_length: Any,
        training: bool = False,
        position_ids: Any = None,
    ) -> Any:
        """Token embeddings + positions (`past_length...`, or `position_ids`), the embedding
        norm and dropout."""
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        positions = self.positions_for(input_ids, inputs_embeds, past_length, position_ids)
        hidden = inputs_embeds + tf.cast(positions, inputs_embeds.dtype)
        if self.embedding_norm:
            hidden = self.layernorm_embedding(hidden)
        return self.dropout(hidden, training=training)

    def finish(self, hidden: Any, training: bool = False) -> Any:
        return self.layer_norm(hidden) if self.final_norm else hidden


class TFSeq2SeqEncoder(_Stack):
    """The encoder: bidirectional self-attention over the source tokens."""

    layer_class = Seq2SeqEncoderLayer
    layers_field = "encoder_layers"

    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        training: bool = False,
    ) -> BaseModelOutput:
        reference = input_ids if input_ids is not None else inputs_embeds
        if reference is not None:
            self.check_length(reference.shape[1])
        hidden = self.embed(input_ids, inputs_embeds, 0, training)
        bias = padding_bias(attention_mask, hidden.dtype)
        all_hidden, all_weights = [], []
        for layer in self.layers:
            if output_hidden_states:
                all_hidden.append(hidden)
            hidden, weights = layer(hidden, bias=bias, training=training)
            all_weights.append(weights)
        hidden = self.finish(hidden)
        all_hidden.append(hidden)
        return BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_weights) if output_attentions else None,
        )


class TFSeq2SeqDecoder(DecoderStackMixin, _Stack):
    """The decoder: causal self-attention and cross-attention over the encoder states."""

    layer_class = Seq2SeqDecoderLayer
    layers_field = "decoder_layers"

    def vocab_size(self, config: Any) -> int:
        return getattr(config, "decoder_vocab_size", None) or config.vocab_size

    def cross_keys_values(self, encoder_hidden: Any) -> tuple:
        """Each layer's cross-attention keys and values, projected once."""
        return tuple(layer.encoder_attn.keys_values(encoder_hidden) for layer in self.layers)


def _embedding_aliases(shared: bool) -> dict[str, str]:
    """Checkpoint keys that hold the shared embeddings under another name (both spellings)."""
    if not shared:
        return {}
    aliases = {
        "encoder.embed_tokens.weight": "shared.weight",
        "decoder.embed_tokens.weight": "shared.weight",
    }
    return {**aliases, **{f"model.{k}": f"model.{v}" for k, v in aliases.items()}}


class TFSeq2SeqModel(EncoderDecoderMixin, TFPreTrainedModel):
    """The base model: `shared` embeddings, `encoder`, `decoder` (subclass per architecture)."""

    base_model_prefix: ClassVar[str] = "model"
    encoder_class: ClassVar[type] = TFSeq2SeqEncoder
    decoder_class: ClassVar[type] = TFSeq2SeqDecoder
    #: decoder_input_ids default to `input_ids` shifted right (BART); else they are required
    derive_decoder_inputs: ClassVar[bool] = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        if shares_embeddings(config):
            scale = math.sqrt(config.d_model) if getattr(config, "scale_embedding", False) else 1.0
            std = getattr(config, "init_std", 0.02)
            self.shared = ScaledEmbedding(config.vocab_size, config.d_model, scale, std)
            self.encoder = self.encoder_class(config, self.shared)
            self.decoder = self.decoder_class(config, self.shared)
        else:
            self.encoder = self.encoder_class(config)
            self.decoder = self.decoder_class(config)

    @property
    def tied_weights(self) -> dict[str, str]:  # type: ignore[override]
        return _embedding_aliases(shares_embeddings(self.config))

    def get_input_embeddings(self) -> Any:
        return self.encoder.embed_tokens

    def default_decoder_inputs(self, input_ids: Any) -> Any:
        """Decoder inputs when none are given: `input_ids` shifted right (BART)."""
        if not self.derive_decoder_inputs or input_ids is None:
            return super().default_decoder_inputs(input_ids)
        return shift_tokens_right(
            input_ids, self.config.pad_token_id, self.config.decoder_start_token_id
        )
