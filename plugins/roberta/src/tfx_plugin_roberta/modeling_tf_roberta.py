"""RoBERTa in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

BERT's encoder (the core's `TFEncoderModel`) with fairseq position numbering (positions start
at `pad_token_id + 1` and skip padding), `lm_head` with its own bias, and a two-layer
classification head on `<s>`; then one class per head on the core's generic heads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.keras import (
    CausalLMHead,
    HeadModel,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TFPreTrainedModel,
    TokenClassificationHead,
    keras,
    tf,
)
from tfx_core.modeling.keras.blocks import EncoderEmbeddings, TFEncoderModel
from tfx_core.modeling.keras.encoder_generation import TFEncoderCausalLMGeneration
from tfx_core.modeling.keras.layers import (
    TiedProjection,
    activation_fn,
    dense,
    dropout,
    layer_norm,
)
from tfx_plugin_roberta.configuration_roberta import RobertaConfig


def position_ids_from_input_ids(input_ids: Any, padding_idx: int) -> Any:
    """`padding_idx + 1 + index among non-padding tokens`; padding gets `padding_idx`."""
    not_pad = tf.cast(tf.not_equal(input_ids, padding_idx), tf.int32)
    return tf.cumsum(not_pad, axis=1) * not_pad + padding_idx


class TFRobertaEmbeddings(EncoderEmbeddings):
    """BERT's embeddings with fairseq position numbering."""

    def position_embeds(self, input_ids: Any, position_ids: Any, inputs_embeds: Any) -> Any:
        if position_ids is None:
            pad = self.pad_token_id
            length = inputs_embeds.shape[1]
            self.check_length(None if length is None else pad + 1 + length)
            if input_ids is not None:
                position_ids = position_ids_from_input_ids(input_ids, pad)
            else:  # embeddings give no padding to skip
                position_ids = tf.range(tf.shape(inputs_embeds)[1])[None] + pad + 1
        return self.position_embeddings(position_ids)


class TFRobertaLMHead(keras.layers.Layer):
    """Dense + gelu + layer norm, then the vocabulary projection (tied) plus `bias`."""

    def __init__(self, config: RobertaConfig, word_embeddings: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = dense(hidden, hidden, std)
        self.layer_norm = layer_norm(hidden, config.layer_norm_eps)
        self.decoder = TiedProjection(word_embeddings, tied=config.tie_word_embeddings, std=std)
        self.bias = self.add_weight(shape=(config.vocab_size,), initializer="zeros", name="bias")
        self.gelu = activation_fn("gelu")

    def call(self, hidden_states: Any) -> Any:
        hidden = self.layer_norm(self.gelu(self.dense(hidden_states)))
        return self.decoder(hidden) + self.bias


class TFRobertaClassificationHead(keras.layers.Layer):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""

    def __init__(self, config: RobertaConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = dense(hidden, hidden, std)
        rate = config.classifier_dropout
        self.dropout = dropout(config.hidden_dropout_prob if rate is None else rate)
        self.out_proj = dense(hidden, config.num_labels, std)

    def call(self, features: Any, training: bool = False) -> Any:
        x = tf.tanh(self.dense(self.dropout(features, training=training)))
        return self.out_proj(self.dropout(x, training=training))


# ---------------------------------------------------------------------------- models
_NO_POOLER = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]
_TIES = {
    "lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight",
    "lm_head.decoder.bias": "lm_head.bias",
}
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class TFRobertaPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[RobertaConfig]] = RobertaConfig
    base_model_prefix: ClassVar[str] = "roberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]


class TFRobertaModel(TFEncoderModel, TFRobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class: ClassVar[type] = TFRobertaEmbeddings


class _TFRobertaHead(HeadModel, TFRobertaPreTrainedModel):
    base_model_class: ClassVar[type] = TFRobertaModel
    base_model_kwargs: ClassVar[dict[str, Any]] = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class TFRobertaForMaskedLM(MaskedLMHead, _TFRobertaHead):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    tied_weights: ClassVar[dict[str, str]] = _TIES

    def __init__(self, config: RobertaConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.lm_head = TFRobertaLMHead(config, self.roberta.get_input_embeddings())

    def lm_logits(self, hidden: Any) -> Any:
        return self.lm_head(hidden)


class TFRobertaForCausalLM(TFEncoderCausalLMGeneration, CausalLMHead, TFRobertaForMaskedLM):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); XLA-compiled `generate`."""


class TFRobertaForSequenceClassification(SequenceClassificationHead, _TFRobertaHead):
    """Classifies (or regresses) the whole sequence through the classification head."""

    def build_classifier(self, config: RobertaConfig) -> None:
        self.classifier = TFRobertaClassificationHead(config)

    def classify(self, base: Any, input_ids: Any, training: bool) -> Any:
        return self.classifier(base["last_hidden_state"][:, 0], training=training)


class TFRobertaForTokenClassification(TokenClassificationHead, _TFRobertaHead):
    """One label per token; label -100 is ignored."""


class TFRobertaForQuestionAnswering(QuestionAnsweringHead, _TFRobertaHead):
    """Extractive QA: start and end logits of the answer span for every token."""


class TFRobertaForMultipleChoice(MultipleChoiceHead, _TFRobertaHead):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_kwargs: ClassVar[dict[str, Any]] = {}
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]
