"""A whole BERT-style encoder model in Keras: embeddings, the encoder layers, a pooler.

`TFEncoderModel` is the base model of BERT-like architectures (`embeddings.*`, `encoder.layer.*`,
`pooler.dense`); an architecture subclasses it with its config class and prefix, and swaps a
part through `embeddings_class` / `encoder_class` / `pooler_class` (RoBERTa overrides how its
embeddings number positions). With `config.is_decoder` the self-attention is causal.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import TFPreTrainedModel, as_tensor, output_flags, unpack_inputs
from tfx_core.modeling.keras.blocks.encoder import Encoder
from tfx_core.modeling.keras.layers import (
    causal_bias,
    dense,
    dropout,
    embedding,
    layer_norm,
    padding_bias,
)
from tfx_core.modeling.outputs import BaseModelOutputWithPoolingAndPast


class EncoderEmbeddings(keras.layers.Layer):
    """Word + position + token-type embeddings, then layer norm and dropout."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        hidden, std = config.hidden_size, config.initializer_range
        self.word_embeddings = embedding(config.vocab_size, hidden, std)
        self.position_embeddings = embedding(config.max_position_embeddings, hidden, std)
        self.token_type_embeddings = embedding(config.type_vocab_size, hidden, std)
        self.LayerNorm = layer_norm(hidden, config.layer_norm_eps)
        self.dropout = dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings
        self.pad_token_id = config.pad_token_id

    def check_length(self, positions: Any) -> None:
        if positions is not None and positions > self.max_positions:
            raise ConfigError(
                f"The input needs {positions} positions but this model handles at most "
                f"{self.max_positions} (max_position_embeddings): truncate it."
            )

    def position_embeds(self, input_ids: Any, position_ids: Any, inputs_embeds: Any) -> Any:
        """Positions 0, 1, ... (BERT); architectures numbering them otherwise override this."""
        if position_ids is not None:
            return self.position_embeddings(position_ids)
        self.check_length(inputs_embeds.shape[1])
        return self.position_embeddings.embeddings[None, : tf.shape(inputs_embeds)[1]]

    def call(
        self,
        input_ids: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        inputs_embeds: Any = None,
        training: bool = False,
    ) -> Any:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if token_type_ids is None:  # all type 0: add the row
            types = self.token_type_embeddings.embeddings[0]
        else:
            types = self.token_type_embeddings(token_type_ids)
        positions = self.position_embeds(input_ids, position_ids, inputs_embeds)
        hidden = inputs_embeds + tf.cast(types + positions, inputs_embeds.dtype)
        return self.dropout(self.LayerNorm(hidden), training=training)


class Pooler(keras.layers.Layer):
    """tanh(dense(first token)): the summary that NSP and sentence classifiers read."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config.hidden_size, config.initializer_range)

    def call(self, hidden_states: Any) -> Any:
        return tf.tanh(self.dense(hidden_states[:, 0]))


class TFEncoderModel(TFPreTrainedModel):
    """Embeddings, `num_hidden_layers` post-norm layers, and the pooler (optional)."""

    embeddings_class: ClassVar[type] = EncoderEmbeddings
    encoder_class: ClassVar[type] = Encoder
    pooler_class: ClassVar[type] = Pooler

    def __init__(self, config: Any, add_pooling_layer: bool = True, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        if getattr(config, "add_cross_attention", False):
            raise ConfigError(
                f"{type(config).__name__} field 'add_cross_attention' is true: cross-attention "
                "is not supported by tfx's TF encoders."
            )
        self.embeddings = self.embeddings_class(config)
        self.encoder = self.encoder_class(config)
        self.pooler = self.pooler_class(config) if add_pooling_layer else None

    def get_input_embeddings(self) -> Any:
        return self.embeddings.word_embeddings

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        head_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        training: bool = False,
    ) -> Any:
        config = self.config
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if head_mask is not None:
            raise ConfigError("tfx's TF encoders do not implement head_mask; drop the argument.")
        hidden = self.embeddings(
            as_tensor(input_ids),
            token_type_ids=as_tensor(token_type_ids),
            position_ids=as_tensor(position_ids),
            inputs_embeds=as_tensor(inputs_embeds),
            training=training,
        )
        mask = as_tensor(attention_mask)
        if config.is_decoder:
            length = tf.shape(hidden)[1]
            bias = causal_bias(length, length, 0, mask, hidden.dtype)
        else:
            bias = padding_bias(mask, hidden.dtype)
        output_attentions, output_hidden_states = output_flags(
            config, output_attentions, output_hidden_states
        )
        hidden, all_hidden, all_weights = self.encoder(
            hidden,
            bias=bias,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            training=training,
        )
        out = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            hidden_states=all_hidden,
            attentions=all_weights,
        )
        return self._outputs(out, return_dict)
