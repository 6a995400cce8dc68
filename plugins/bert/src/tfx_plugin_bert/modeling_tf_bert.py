"""BERT in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

Read top to bottom: embeddings, pooler, the masked-LM and NSP heads' layers, the base
`TFBertModel` (the encoder is the core's standard post-norm block, whose layer tree is BERT's),
then one class per head on the core's generic heads. Attribute names are the checkpoint's key
segments (`bert.encoder.layer.0.attention.self.query`); the core adapter maps the variables.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    as_tensor,
    keras,
)
from tfx_core.modeling.keras.blocks import EncoderEmbeddings, Pooler, TFEncoderModel
from tfx_core.modeling.keras.encoder_generation import TFEncoderCausalLMGeneration
from tfx_core.modeling.keras.layers import TiedProjection, activation_fn, dense, layer_norm
from tfx_core.modeling.keras.losses import token_classification_loss
from tfx_core.modeling.outputs import ModelOutput, NextSentencePredictorOutput
from tfx_plugin_bert.configuration_bert import BertConfig


class TFBertEmbeddings(EncoderEmbeddings):
    """Word + position + token-type embeddings, then layer norm and dropout."""


class TFBertPooler(Pooler):
    """tanh(dense(first token))."""


class TFBertPredictionHeadTransform(keras.layers.Layer):
    def __init__(self, config: BertConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config.hidden_size, config.initializer_range)
        self.transform_act_fn = activation_fn(config.hidden_act)
        self.LayerNorm = layer_norm(config.hidden_size, config.layer_norm_eps)

    def call(self, hidden_states: Any) -> Any:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class TFBertLMPredictionHead(keras.layers.Layer):
    """Transform, then project onto the vocabulary (tied to the word embeddings) plus `bias`."""

    def __init__(self, config: BertConfig, word_embeddings: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transform = TFBertPredictionHeadTransform(config)
        self.decoder = TiedProjection(
            word_embeddings, tied=config.tie_word_embeddings, std=config.initializer_range
        )
        self.bias = self.add_weight(shape=(config.vocab_size,), initializer="zeros", name="bias")

    def call(self, hidden_states: Any) -> Any:
        return self.decoder(self.transform(hidden_states)) + self.bias


class TFBertOnlyMLMHead(keras.layers.Layer):
    def __init__(self, config: BertConfig, word_embeddings: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.predictions = TFBertLMPredictionHead(config, word_embeddings)

    def call(self, sequence_output: Any) -> Any:
        return self.predictions(sequence_output)


class TFBertOnlyNSPHead(keras.layers.Layer):
    def __init__(self, config: BertConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seq_relationship = dense(config.hidden_size, 2, config.initializer_range)

    def call(self, pooled_output: Any) -> Any:
        return self.seq_relationship(pooled_output)


class TFBertPreTrainingHeads(keras.layers.Layer):
    def __init__(self, config: BertConfig, word_embeddings: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.predictions = TFBertLMPredictionHead(config, word_embeddings)
        self.seq_relationship = dense(config.hidden_size, 2, config.initializer_range)

    def call(self, sequence_output: Any, pooled_output: Any) -> tuple[Any, Any]:
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


@dataclass(repr=False, eq=False)
class TFBertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_MLM_TIES = {
    "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    "cls.predictions.decoder.bias": "cls.predictions.bias",
}


class TFBertPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[BertConfig]] = BertConfig
    base_model_prefix: ClassVar[str] = "bert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class TFBertModel(TFEncoderModel, TFBertPreTrainedModel):
    """The encoder: embeddings, `num_hidden_layers` layers (the core's post-norm block, whose
    layer tree is BERT's), and the pooler (optional). With `config.is_decoder` it is causal."""

    embeddings_class: ClassVar[type] = TFBertEmbeddings
    pooler_class: ClassVar[type] = TFBertPooler


class _TFBertHead(HeadModel, TFBertPreTrainedModel):
    base_model_class: ClassVar[type] = TFBertModel


class TFBertForMaskedLM(MaskedLMHead, _TFBertHead):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *TFBertPreTrainedModel.ignore_unexpected_keys,
        r"(^|\.)pooler\.",
        r"^cls\.seq_relationship\.",
    ]

    def __init__(self, config: BertConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.cls = TFBertOnlyMLMHead(config, self.bert.get_input_embeddings())

    def lm_logits(self, hidden: Any) -> Any:
        return self.cls(hidden)


class TFBertLMHeadModel(TFEncoderCausalLMGeneration, CausalLMHead, TFBertForMaskedLM):
    """Left-to-right LM with a causal BERT (`is_decoder=True`); XLA-compiled `generate`."""


class TFBertForPreTraining(_TFBertHead):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES

    def __init__(self, config: BertConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.cls = TFBertPreTrainingHeads(config, self.bert.get_input_embeddings())

    output_class: ClassVar[type] = TFBertForPreTrainingOutput
    target_names: ClassVar[tuple[str, ...]] = ("labels", "next_sentence_label")

    def head_outputs(self, base, given, training, labels=None, next_sentence_label=None):
        prediction, relationship = self.cls(
            base["last_hidden_state"], pooled_output=base["pooler_output"]
        )
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = token_classification_loss(
                prediction, as_tensor(labels)
            ) + token_classification_loss(relationship, as_tensor(next_sentence_label))
        return {
            "loss": loss,
            "prediction_logits": prediction,
            "seq_relationship_logits": relationship,
        }


class TFBertForNextSentencePrediction(_TFBertHead):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    ignore_unexpected_keys: ClassVar[list[str]] = [
        *TFBertPreTrainedModel.ignore_unexpected_keys,
        r"^cls\.predictions\.",
    ]

    def __init__(self, config: BertConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.cls = TFBertOnlyNSPHead(config)

    output_class: ClassVar[type] = NextSentencePredictorOutput

    def head_outputs(self, base, given, training, labels=None):
        logits = self.cls(base["pooler_output"])
        loss = token_classification_loss(logits, as_tensor(labels)) if labels is not None else None
        return {"loss": loss, "logits": logits}


class TFBertForSequenceClassification(SequenceClassificationHead, _TFBertHead):
    """Classification or regression of a whole text (pair) from the pooled output."""


class TFBertForMultipleChoice(MultipleChoiceHead, _TFBertHead):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""


class TFBertForTokenClassification(TokenClassificationHead, _TFBertHead):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *TFBertPreTrainedModel.ignore_unexpected_keys,
        r"(^|\.)pooler\.",
    ]


class TFBertForQuestionAnswering(QuestionAnsweringHead, _TFBertHead):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = (
        TFBertForTokenClassification.ignore_unexpected_keys
    )
