"""DistilBERT in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

Read top to bottom: embeddings, attention, feed-forward, block, the base `TFDistilBertModel`,
then the heads on the core's generic heads. DistilBERT's layer names differ from BERT's
(`q_lin`, `sa_layer_norm`, `ffn.lin1`, ...), so its block is written here; the loop over the
blocks is the core's `Encoder`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras import (
    HeadModel,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TFPreTrainedModel,
    TokenClassificationHead,
    as_tensor,
    keras,
    tf,
    unpack_inputs,
)
from tfx_core.modeling.keras.base import output_flags
from tfx_core.modeling.keras.blocks.encoder import Encoder
from tfx_core.modeling.keras.layers import (
    TiedProjection,
    activation_fn,
    attention,
    dense,
    dropout,
    embedding,
    layer_norm,
    merge_heads,
    padding_bias,
    split_heads,
)
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_plugin_distilbert.configuration_distilbert import DistilBertConfig

LAYER_NORM_EPS = 1e-12  # fixed in DistilBERT (not a config field)


def sinusoidal_positions(positions: int, dim: int) -> np.ndarray:
    """The fixed sin/cos position table of `sinusoidal_pos_embds=True` checkpoints."""
    position = np.arange(positions, dtype=np.float64)[:, None]
    angles = position / np.power(10000.0, 2 * (np.arange(dim) // 2) / dim)
    table = np.empty((positions, dim))
    table[:, 0::2] = np.sin(angles[:, 0::2])
    table[:, 1::2] = np.cos(angles[:, 1::2])
    return table.astype(np.float32)


class TFEmbeddings(keras.layers.Layer):
    """Token + position embeddings, then layer norm and dropout."""

    def __init__(self, config: DistilBertConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        std = config.initializer_range
        self.word_embeddings = embedding(config.vocab_size, config.dim, std)
        self.position_embeddings = embedding(config.max_position_embeddings, config.dim, std)
        if config.sinusoidal_pos_embds:
            table = sinusoidal_positions(config.max_position_embeddings, config.dim)
            self.position_embeddings.embeddings.assign(table)
        self.LayerNorm = layer_norm(config.dim, LAYER_NORM_EPS)
        self.dropout = dropout(config.dropout)
        self.max_positions = config.max_position_embeddings

    def call(self, input_ids: Any = None, inputs_embeds: Any = None, training: bool = False) -> Any:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        length = inputs_embeds.shape[1]
        if length is not None and length > self.max_positions:
            raise ConfigError(
                f"The input has {length} positions but this model handles at most "
                f"{self.max_positions} (max_position_embeddings): truncate it."
            )
        positions = self.position_embeddings.embeddings[None, : tf.shape(inputs_embeds)[1]]
        hidden = self.LayerNorm(inputs_embeds + tf.cast(positions, inputs_embeds.dtype))
        return self.dropout(hidden, training=training)


class TFMultiHeadSelfAttention(keras.layers.Layer):
    def __init__(self, config: DistilBertConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dim, std = config.dim, config.initializer_range
        self.n_heads = config.n_heads
        self.q_lin = dense(dim, dim, std)
        self.k_lin = dense(dim, dim, std)
        self.v_lin = dense(dim, dim, std)
        self.out_lin = dense(dim, dim, std)
        self.dropout = dropout(config.attention_dropout)

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        query = split_heads(self.q_lin(hidden_states), self.n_heads)
        key = split_heads(self.k_lin(hidden_states), self.n_heads)
        value = split_heads(self.v_lin(hidden_states), self.n_heads)
        context, weights = attention(query, key, value, bias, None, self.dropout, training)
        return self.out_lin(merge_heads(context)), weights


class TFFFN(keras.layers.Layer):
    def __init__(self, config: DistilBertConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        std = config.initializer_range
        self.lin1 = dense(config.dim, config.hidden_dim, std)
        self.lin2 = dense(config.hidden_dim, config.dim, std)
        self.activation = activation_fn(config.activation)
        self.dropout = dropout(config.dropout)

    def call(self, hidden_states: Any, training: bool = False) -> Any:
        hidden = self.lin2(self.activation(self.lin1(hidden_states)))
        return self.dropout(hidden, training=training)


class TFTransformerBlock(keras.layers.Layer):
    """Post-norm block: norm(x + attention(x)), then norm(. + ffn(.))."""

    def __init__(self, config: DistilBertConfig, layer_idx: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attention = TFMultiHeadSelfAttention(config)
        self.sa_layer_norm = layer_norm(config.dim, LAYER_NORM_EPS)
        self.ffn = TFFFN(config)
        self.output_layer_norm = layer_norm(config.dim, LAYER_NORM_EPS)

    def call(self, hidden_states: Any, bias: Any = None, training: bool = False) -> Any:
        attended, weights = self.attention(hidden_states, bias=bias, training=training)
        attended = self.sa_layer_norm(attended + hidden_states)
        out = self.output_layer_norm(self.ffn(attended, training=training) + attended)
        return out, weights


class TFTransformer(Encoder):
    """`layer.0 ... layer.N-1`: the core encoder's loop over DistilBERT's blocks."""

    layer_class: ClassVar[type] = TFTransformerBlock


class TFDistilBertPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[DistilBertConfig]] = DistilBertConfig
    base_model_prefix: ClassVar[str] = "distilbert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]


class TFDistilBertModel(TFDistilBertPreTrainedModel):
    """Embeddings and `n_layers` transformer blocks (no pooler, no token types)."""

    def __init__(self, config: DistilBertConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.embeddings = TFEmbeddings(config)
        self.transformer = TFTransformer(config)

    def get_input_embeddings(self) -> Any:
        return self.embeddings.word_embeddings

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
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
            raise ConfigError("tfx's TF DistilBERT does not implement head_mask; drop it.")
        hidden = self.embeddings(
            as_tensor(input_ids), inputs_embeds=as_tensor(inputs_embeds), training=training
        )
        attentions, hidden_states = output_flags(config, output_attentions, output_hidden_states)
        hidden, all_hidden, all_weights = self.transformer(
            hidden,
            bias=padding_bias(as_tensor(attention_mask), hidden.dtype),
            output_attentions=attentions,
            output_hidden_states=hidden_states,
            training=training,
        )
        out = BaseModelOutput(
            last_hidden_state=hidden, hidden_states=all_hidden, attentions=all_weights
        )
        return self._outputs(out, return_dict)


class _TFDistilBertHead(HeadModel, TFDistilBertPreTrainedModel):
    base_model_class: ClassVar[type] = TFDistilBertModel


class TFDistilBertForMaskedLM(MaskedLMHead, _TFDistilBertHead):
    """Masked-token prediction; the projection is tied to the word embeddings."""

    tied_weights: ClassVar[dict[str, str]] = {
        "vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"
    }

    def __init__(self, config: DistilBertConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        std = config.initializer_range
        self.activation = activation_fn(config.activation)
        self.vocab_transform = dense(config.dim, config.dim, std)
        self.vocab_layer_norm = layer_norm(config.dim, LAYER_NORM_EPS)
        self.vocab_projector = TiedProjection(
            self.distilbert.get_input_embeddings(),
            tied=config.tie_word_embeddings,
            use_bias=True,
            std=std,
        )

    def lm_logits(self, hidden: Any) -> Any:
        hidden = self.activation(self.vocab_transform(hidden))
        return self.vocab_projector(self.vocab_layer_norm(hidden))


class _FirstTokenClassifier:
    """DistilBERT's classifier: first token -> pre_classifier -> ReLU -> dropout -> classifier."""

    def build_classifier(self, config: DistilBertConfig) -> None:
        std = config.initializer_range
        self.pre_classifier = dense(config.dim, config.dim, std)
        self.dropout = dropout(config.seq_classif_dropout)
        units = 1 if isinstance(self, MultipleChoiceHead) else config.num_labels
        self.classifier = dense(config.dim, units, std)

    def classify(self, base: Any, input_ids: Any, training: bool) -> Any:
        pooled = tf.nn.relu(self.pre_classifier(base["last_hidden_state"][:, 0]))
        return self.classifier(self.dropout(pooled, training=training))


class TFDistilBertForSequenceClassification(
    _FirstTokenClassifier, SequenceClassificationHead, _TFDistilBertHead
):
    """Classification or regression of a whole text from its first token."""


class TFDistilBertForMultipleChoice(_FirstTokenClassifier, MultipleChoiceHead, _TFDistilBertHead):
    """Scores each of `num_choices` inputs; inputs are `[batch, num_choices, length]`."""


class TFDistilBertForTokenClassification(TokenClassificationHead, _TFDistilBertHead):
    """One label per token; label -100 is ignored."""


class TFDistilBertForQuestionAnswering(QuestionAnsweringHead, _TFDistilBertHead):
    """Extractive QA: dropout, then start and end logits for every token."""

    qa_dropout: ClassVar[bool] = True
