"""RoBERTa in Flax nnx: the same module tree and checkpoint names as `modeling_roberta`.

The base model is the core's (`tfx_core.modeling.flax.encoder_model`) with fairseq position
numbering switched on; RoBERTa's own parts are the LM head and the sentence classification head.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.modeling.flax import (
    FlaxGenerationMixin,
    FlaxPreTrainedModel,
    encoder_model,
    heads,
    layers,
)
from tfx_plugin_roberta.configuration_roberta import RobertaConfig

Array = jax.Array


class FlaxRobertaEmbeddings(encoder_model.EncoderEmbeddings):
    """BERT's embeddings with fairseq position numbering."""

    padding_offset_positions = True


class FlaxRobertaLMHead(encoder_model.VocabularyProjection):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""

    def __init__(self, config: RobertaConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = layers.dense(hidden, hidden, std=std, dtype=dtype, rngs=rngs)
        self.layer_norm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)
        self.build_projection(config, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        hidden = self.layer_norm(layers.ACTIVATIONS["gelu"](self.dense(hidden)))
        return self.project(hidden, word_embeddings)


class FlaxRobertaClassificationHead(nnx.Module):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""

    def __init__(self, config: RobertaConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = layers.dense(hidden, hidden, std=std, dtype=dtype, rngs=rngs)
        rate = config.classifier_dropout
        self.dropout = layers.dropout(config.hidden_dropout_prob if rate is None else rate, rngs)
        self.out_proj = layers.dense(hidden, config.num_labels, std=std, dtype=dtype, rngs=rngs)

    def __call__(self, features: Array) -> Array:
        return self.out_proj(self.dropout(jnp.tanh(self.dense(self.dropout(features)))))


# ---------------------------------------------------------------------------- models
_NO_POOLER = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]
_TIED_DECODER = ("lm_head.decoder.weight",)
_SHARED_BIAS = ("lm_head.decoder.bias",)
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class FlaxRobertaPreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[RobertaConfig]] = RobertaConfig
    base_model_prefix: ClassVar[str] = "roberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]


class FlaxRobertaModel(encoder_model.EncoderModel, FlaxRobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = FlaxRobertaEmbeddings


class FlaxRobertaForMaskedLM(heads.MaskedLMHead, FlaxRobertaPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_keys = _TIED_DECODER
    shared_keys = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_head(self, config: RobertaConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.lm_head = FlaxRobertaLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.lm_head(hidden, self.roberta.embeddings.word_embeddings)


class FlaxRobertaForCausalLM(FlaxGenerationMixin, heads.CausalLMHead, FlaxRobertaForMaskedLM):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); has `generate`. The
    masked LM's layers and checkpoint keys, the causal head's call.

    Generation numbers positions from 0 (cumsum of the mask), as the reference's `generate`
    passes them, not with RoBERTa's padding offset."""


class FlaxRobertaForSequenceClassification(
    heads.SequenceClassificationHead, FlaxRobertaPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through the classification head."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_classifier(self, config: RobertaConfig, outputs: int, dtype: Any, rngs: nnx.Rngs):
        return FlaxRobertaClassificationHead(config, dtype=dtype, rngs=rngs)


class FlaxRobertaForTokenClassification(heads.TokenClassificationHead, FlaxRobertaPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class FlaxRobertaForQuestionAnswering(heads.QuestionAnsweringHead, FlaxRobertaPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class FlaxRobertaForMultipleChoice(heads.MultipleChoiceHead, FlaxRobertaPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = FlaxRobertaModel
    dropout_fields = ("hidden_dropout_prob",)
