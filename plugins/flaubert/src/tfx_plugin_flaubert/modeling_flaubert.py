"""FlauBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

FlauBERT (Le et al., 2020) is XLM trained on French: the same transformer (the core's
`blocks.xlm.XLMTransformer`, shared with the XLM plugin) with two config switches the block
reads, `pre_norm` (the large models) and `layerdrop`, and the same core heads (the LM head over
`pred_layer`, the sequence-summary classifiers, the beam-search SQuAD head). This file only
names them.
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
from tfx_plugin_flaubert.configuration_flaubert import FlaubertConfig


class FlaubertPreTrainedModel(PreTrainedModel):
    """Loading rules and the reference's weight initialisation, shared by every class."""

    config_class = FlaubertConfig
    base_model_prefix = "transformer"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        init_xlm_weights(self, module)


class FlaubertModel(XLMTransformer, FlaubertPreTrainedModel):
    """Embeddings (tokens, positions, languages) and `n_layers` post-norm layers."""


class FlaubertWithLMHeadModel(XLMLMHead, FlaubertPreTrainedModel):
    """Predicts tokens over the vocabulary; `pred_layer.proj` shares the word embeddings."""

    base_model_class = FlaubertModel


class FlaubertForSequenceClassification(SummaryClassificationHead, FlaubertPreTrainedModel):
    """Classifies (or regresses) the sequence from its summary (first token by default)."""

    base_model_class = FlaubertModel


class FlaubertForQuestionAnsweringSimple(XLMQuestionAnsweringSimpleHead, FlaubertPreTrainedModel):
    """Extractive QA: start and end logits for every token."""

    base_model_class = FlaubertModel


class FlaubertForQuestionAnswering(BeamQuestionAnsweringHead, FlaubertPreTrainedModel):
    """Extractive QA with beam search over starts and ends, and an answerability logit."""

    base_model_class = FlaubertModel


class FlaubertForTokenClassification(XLMTokenClassificationHead, FlaubertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = FlaubertModel


class FlaubertForMultipleChoice(SummaryMultipleChoiceHead, FlaubertPreTrainedModel):
    """Scores each of `num_choices` candidates from their summaries."""

    base_model_class = FlaubertModel
