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
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import TFPreTrainedModel, as_tensor, unpack_inputs
from tfx_core.modeling.keras.blocks.seq2seq import (
    LearnedPositions,
    ScaledEmbedding,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.keras.layers import causal_bias, dropout, layer_norm, padding_bias
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    Seq2SeqModelOutput,
)

__all__ = [
    "TFSeq2SeqDecoder",
    "TFSeq2SeqEncoder",
    "TFSeq2SeqModel",
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


def reject_unused(model: Any, unused: dict[str, Any]) -> None:
    """A clear error for call arguments the TF model does not implement (`use_cache` is
    accepted and ignored: generate() keeps its own static cache)."""
    given = sorted(name for name, value in unused.items() if value is not None)
    given = [name for name in given if name != "use_cache"]
    if given:
        raise ConfigError(f"{type(model).__name__} (TensorFlow) does not take {', '.join(given)}.")


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
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError(
                f"{type(self).__name__}: pass exactly one of input_ids or inputs_embeds."
            )
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        positions = self.positions_for(input_ids, inputs_embeds, past_length, position_ids)
        hidden = inputs_embeds + tf.cast(positions, inputs_embeds.dtype)
        if self.embedding_norm:
            hidden = self.layernorm_embedding(hidden)
        return self.dropout(hidden, training=training)

    def finish(self, hidden: Any) -> Any:
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


class TFSeq2SeqDecoder(_Stack):
    """The decoder: causal self-attention and cross-attention over the encoder states."""

    layer_class = Seq2SeqDecoderLayer
    layers_field = "decoder_layers"

    def vocab_size(self, config: Any) -> int:
        return getattr(config, "decoder_vocab_size", None) or config.vocab_size

    def cross_keys_values(self, encoder_hidden: Any) -> tuple:
        """Each layer's cross-attention keys and values, projected once."""
        return tuple(layer.encoder_attn.keys_values(encoder_hidden) for layer in self.layers)

    def run(
        self,
        input_ids: Any,
        bias: Any,
        cross: tuple | None = None,
        cross_bias: Any = None,
        cache: tuple | None = None,
        index: Any = 0,
        inputs_embeds: Any = None,
        training: bool = False,
        collect: dict | None = None,
        position_ids: Any = None,
    ) -> tuple[Any, tuple | None]:
        """Hidden states of the new tokens (at positions `index...`, unless `position_ids`
        says otherwise) and the updated cache."""
        hidden = self.embed(input_ids, inputs_embeds, index, training, position_ids)
        new_cache = []
        for i, layer in enumerate(self.layers):
            if collect is not None:
                collect["hidden"].append(hidden)
            hidden, layer_cache, weights, cross_weights = layer(
                hidden,
                bias=bias,
                cross_keys_values=cross[i] if cross is not None else None,
                cross_bias=cross_bias,
                cache=cache[i] if cache is not None else None,
                index=index,
                training=training,
            )
            new_cache.append(layer_cache)
            if collect is not None:
                collect["attentions"].append(weights)
                collect["cross"].append(cross_weights)
        hidden = self.finish(hidden)
        if collect is not None:
            collect["hidden"].append(hidden)
        return hidden, tuple(new_cache) if cache is not None else None

    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        encoder_hidden_states: Any = None,
        encoder_attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        training: bool = False,
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        reference = input_ids if input_ids is not None else inputs_embeds
        if reference is not None:
            self.check_length(reference.shape[1])
        dtype = tf.as_dtype(self.compute_dtype)
        length = tf.shape(reference)[1]
        bias = causal_bias(length, length, 0, attention_mask, dtype)
        cross = cross_bias = None
        if encoder_hidden_states is not None:
            cross = self.cross_keys_values(encoder_hidden_states)
            cross_bias = padding_bias(encoder_attention_mask, dtype)
        collect: dict = {"hidden": [], "attentions": [], "cross": []}
        hidden, _ = self.run(
            input_ids, bias, cross, cross_bias, None, 0, inputs_embeds, training, collect
        )
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden,
            hidden_states=tuple(collect["hidden"]) if output_hidden_states else None,
            attentions=tuple(collect["attentions"]) if output_attentions else None,
            cross_attentions=tuple(collect["cross"])
            if output_attentions and cross is not None
            else None,
        )


def _embedding_aliases(shared: bool) -> dict[str, str]:
    """Checkpoint keys that hold the shared embeddings under another name (both spellings)."""
    if not shared:
        return {}
    aliases = {
        "encoder.embed_tokens.weight": "shared.weight",
        "decoder.embed_tokens.weight": "shared.weight",
    }
    return {**aliases, **{f"model.{k}": f"model.{v}" for k, v in aliases.items()}}


class TFSeq2SeqModel(TFPreTrainedModel):
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
            raise ConfigError(
                f"{type(self).__name__} needs decoder_input_ids (or decoder_inputs_embeds, or "
                "labels on the ...ForConditionalGeneration head)."
            )
        return shift_tokens_right(
            input_ids, self.config.pad_token_id, self.config.decoder_start_token_id
        )

    @unpack_inputs
    def call(
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
        return_dict: bool | None = None,
        training: bool = False,
        **unused: Any,
    ) -> Any:
        reject_unused(self, unused)
        config = self.config
        if output_attentions is None:
            output_attentions = config.output_attentions
        if output_hidden_states is None:
            output_hidden_states = config.output_hidden_states
        input_ids, attention_mask = as_tensor(input_ids), as_tensor(attention_mask)
        decoder_input_ids = as_tensor(decoder_input_ids)
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = self.default_decoder_inputs(input_ids)
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_ids,
                attention_mask=attention_mask,
                inputs_embeds=as_tensor(inputs_embeds),
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
                training=training,
            )
        elif not isinstance(encoder_outputs, BaseModelOutput):
            encoder_outputs = as_encoder_output(encoder_outputs)
        decoder = self.decoder(
            decoder_input_ids,
            attention_mask=as_tensor(decoder_attention_mask),
            encoder_hidden_states=encoder_outputs.last_hidden_state,
            encoder_attention_mask=attention_mask,
            inputs_embeds=as_tensor(decoder_inputs_embeds),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            training=training,
        )
        out = Seq2SeqModelOutput(
            last_hidden_state=decoder.last_hidden_state,
            decoder_hidden_states=decoder.hidden_states,
            decoder_attentions=decoder.attentions,
            cross_attentions=decoder.cross_attentions,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
            encoder_hidden_states=encoder_outputs.hidden_states,
            encoder_attentions=encoder_outputs.attentions,
        )
        return self._outputs(out, return_dict)


def as_encoder_output(encoder_outputs: Any) -> BaseModelOutput:
    """A caller's tuple / tensor of encoder outputs as a `BaseModelOutput`."""
    if isinstance(encoder_outputs, (tuple, list)) and encoder_outputs:
        parts = [*encoder_outputs, None, None]
        return BaseModelOutput(
            last_hidden_state=as_tensor(parts[0]), hidden_states=parts[1], attentions=parts[2]
        )
    if hasattr(encoder_outputs, "last_hidden_state"):
        return BaseModelOutput(last_hidden_state=encoder_outputs.last_hidden_state)
    if hasattr(encoder_outputs, "shape"):
        return BaseModelOutput(last_hidden_state=as_tensor(encoder_outputs))
    raise ConfigError(
        "encoder_outputs must be the encoder's output, a tuple whose first item is its last "
        f"hidden state, or that tensor; got {type(encoder_outputs).__name__}."
    )
