"""BERT in Flax nnx: the same module tree and checkpoint names as `modeling_bert`.

The base model is the core's (`tfx_core.modeling.flax.encoder_model`: embeddings, post-norm
blocks, pooler); what is BERT's own is here: the pre-training heads and which head reads what.
Absolute position embeddings only (`position_embedding_type="absolute"`), like most checkpoints.
With `is_decoder=True` the layers are causal and `FlaxBertLMHeadModel.generate` decodes with
the core's preallocated KV cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import jax
from flax import nnx

from tfx_core.modeling.flax import (
    FlaxGenerationMixin,
    FlaxPreTrainedModel,
    encoder_model,
    heads,
    layers,
    losses,
)
from tfx_core.modeling.outputs import ModelOutput, NextSentencePredictorOutput
from tfx_plugin_bert.configuration_bert import BertConfig

Array = jax.Array


class FlaxBertEmbeddings(encoder_model.EncoderEmbeddings):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""


class FlaxBertPredictionHeadTransform(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden = config.hidden_size
        self.dense = layers.dense(
            hidden, hidden, std=config.initializer_range, dtype=dtype, rngs=rngs
        )
        self.transform_act_fn = layers.activation_fn(config.hidden_act)
        self.LayerNorm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden)))


class FlaxBertLMPredictionHead(encoder_model.VocabularyProjection):
    """transform, then the vocabulary projection: the word embeddings when tied (the
    reference's default), else its own `decoder`; plus the output `bias`."""

    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.transform = FlaxBertPredictionHeadTransform(config, dtype=dtype, rngs=rngs)
        self.build_projection(config, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        return self.project(self.transform(hidden), word_embeddings)


class FlaxBertOnlyMLMHead(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.predictions = FlaxBertLMPredictionHead(config, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        return self.predictions(hidden, word_embeddings)


class FlaxBertOnlyNSPHead(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std = config.initializer_range
        self.seq_relationship = layers.dense(config.hidden_size, 2, std=std, dtype=dtype, rngs=rngs)

    def __call__(self, pooled: Array) -> Array:
        return self.seq_relationship(pooled)


class FlaxBertPreTrainingHeads(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std = config.initializer_range
        self.predictions = FlaxBertLMPredictionHead(config, dtype=dtype, rngs=rngs)
        self.seq_relationship = layers.dense(config.hidden_size, 2, std=std, dtype=dtype, rngs=rngs)


@dataclass(repr=False, eq=False)
class FlaxBertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_MLM_TIES = ("cls.predictions.decoder.weight",)
_MLM_SHARED = ("cls.predictions.decoder.bias",)
_NO_POOLER = [r"(^|\.)pooler\."]


class FlaxBertPreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[BertConfig]] = BertConfig
    base_model_prefix: ClassVar[str] = "bert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class FlaxBertModel(encoder_model.EncoderModel, FlaxBertPreTrainedModel):
    """Embeddings, `num_hidden_layers` post-norm layers, and the pooler (optional).

    With `config.is_decoder` the self-attention is causal (`FlaxBertLMHeadModel`).
    """

    embeddings_class = FlaxBertEmbeddings


class FlaxBertForMaskedLM(heads.MaskedLMHead, FlaxBertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    tied_keys = _MLM_TIES
    shared_keys = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
        r"^cls\.seq_relationship\.",
    ]

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertOnlyMLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.cls(hidden, self.bert.embeddings.word_embeddings)


class FlaxBertLMHeadModel(FlaxGenerationMixin, heads.CausalLMHead, FlaxBertForMaskedLM):
    """Left-to-right language modelling with a causal BERT (`is_decoder=True`); `generate`
    (KV-cached through the mixin's hooks and `FlaxBertModel.init_cache`). The masked LM's
    layers and checkpoint keys, the causal head's call."""


class FlaxBertForPreTraining(heads.TaskHead, FlaxBertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    base_model_class = FlaxBertModel
    output_class = FlaxBertForPreTrainingOutput
    tied_keys = _MLM_TIES
    shared_keys = _MLM_SHARED

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertPreTrainingHeads(config, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        labels: Any = None,
        next_sentence_label: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(kwargs)
        prediction = self.cls.predictions(
            base.last_hidden_state, self.bert.embeddings.word_embeddings
        )
        relationship = self.cls.seq_relationship(base.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = losses.cross_entropy(prediction, labels) + losses.cross_entropy(
                relationship, next_sentence_label
            )
        return self.finish(
            return_dict,
            base,
            loss=loss,
            prediction_logits=prediction,
            seq_relationship_logits=relationship,
        )


class FlaxBertForNextSentencePrediction(heads.TaskHead, FlaxBertPreTrainedModel):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    base_model_class = FlaxBertModel
    output_class = NextSentencePredictorOutput
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        r"^cls\.predictions\.",
    ]

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertOnlyNSPHead(config, dtype=dtype, rngs=rngs)

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        base = self.run_base(kwargs)
        logits = self.cls(base.pooler_output)
        loss = losses.cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


class FlaxBertForSequenceClassification(heads.SequenceClassificationHead, FlaxBertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = FlaxBertModel


class FlaxBertForMultipleChoice(heads.MultipleChoiceHead, FlaxBertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    base_model_class = FlaxBertModel


class FlaxBertForTokenClassification(heads.TokenClassificationHead, FlaxBertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
    ]


class FlaxBertForQuestionAnswering(heads.QuestionAnsweringHead, FlaxBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = (
        FlaxBertForTokenClassification.ignore_unexpected_keys
    )
