"""XLM in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

XLM (Lample & Conneau, 2019) is a post-norm transformer encoder with language embeddings
(`langs`), token types embedded through the word table, optional sinusoidal positions and a
causal mode. Its transformer is the core's `blocks.xlm.XLMTransformer` (shared with FlauBERT)
and its heads are the core's: the LM head over `pred_layer`, the sequence-summary classifiers,
and the beam-search SQuAD head (`squad_heads`) that XLNet shares. This file only names them.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.xlm import XLMTransformer, init_xlm_weights
from tfx_core.modeling.torch.blocks.xlm_heads import (
    SummaryClassificationHead,
    SummaryMultipleChoiceHead,
    XLMLMHead,
    XLMQuestionAnsweringSimpleHead,
    XLMTokenClassificationHead,
)
from tfx_core.modeling.torch.squad_heads import BeamQuestionAnsweringHead
from tfx_plugin_xlm.configuration_xlm import XLMConfig


class XLMPreTrainedModel(PreTrainedModel):
    """Loading rules and the reference's weight initialisation, shared by every class."""

    config_class = XLMConfig
    base_model_prefix = "transformer"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        init_xlm_weights(self, module)


class XLMModel(XLMTransformer, XLMPreTrainedModel):
    """Embeddings (tokens, positions, languages) and `n_layers` post-norm layers."""


class XLMWithLMHeadModel(XLMLMHead, XLMPreTrainedModel):
    """Predicts tokens over the vocabulary; `pred_layer.proj` shares the word embeddings."""

    base_model_class = XLMModel


class XLMForSequenceClassification(SummaryClassificationHead, XLMPreTrainedModel):
    """Classifies (or regresses) the sequence from its summary (first token by default)."""

    base_model_class = XLMModel


class XLMForQuestionAnsweringSimple(XLMQuestionAnsweringSimpleHead, XLMPreTrainedModel):
    """Extractive QA: start and end logits for every token."""

    base_model_class = XLMModel


class XLMForQuestionAnswering(BeamQuestionAnsweringHead, XLMPreTrainedModel):
    """Extractive QA with beam search over starts and ends, and an answerability logit."""

    base_model_class = XLMModel


class XLMForTokenClassification(XLMTokenClassificationHead, XLMPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = XLMModel


class XLMForMultipleChoice(SummaryMultipleChoiceHead, XLMPreTrainedModel):
    """Scores each of `num_choices` candidates from their summaries."""

    base_model_class = XLMModel
