"""RemBERT in PyTorch: BERT with decoupled input and output embeddings.

RemBERT (Chung et al., 2021) shrinks the input embeddings (`input_embedding_size`, projected to
`hidden_size` by `encoder.embedding_hidden_mapping_in`) and widens the output side: the
masked-LM head maps to `output_embedding_size` before its own, untied vocabulary matrix. The
layers are the core's standard post-norm tree under RemBERT's class names; with `is_decoder`
the attention is causal with a KV cache (`RemBertForCausalLM.generate`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import GenerationError
from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_rembert.configuration_rembert import RemBertConfig


class RemBertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings of width `input_embedding_size`, layer norm."""


# The encoder: the core's post-norm tree under RemBERT's class names.
class RemBertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`); causal with a cache as a decoder."""


class RemBertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class RemBertAttention(blocks.Attention):
    self_class = RemBertSelfAttention
    output_class = RemBertSelfOutput


class RemBertIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation (`hidden_act`)."""


class RemBertOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class RemBertLayer(blocks.EncoderLayer):
    attention_class = RemBertAttention
    intermediate_class = RemBertIntermediate
    output_class = RemBertOutput


@trusted_forward
class RemBertEncoder(blocks.Encoder):
    """`embedding_hidden_mapping_in` (input embeddings -> `hidden_size`), then the layers."""

    layer_class = RemBertLayer

    def __init__(self, config: RemBertConfig) -> None:
        super().__init__(config)
        self.embedding_hidden_mapping_in = nn.Linear(
            config.input_embedding_size, config.hidden_size
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: list[torch.Tensor | None] | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        return super().forward(
            self.embedding_hidden_mapping_in(hidden_states),
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            output_hidden_states,
            implementation,
        )


class RemBertPooler(blocks.Pooler):
    """tanh(dense(first token)): what the sequence classifiers read."""


class RemBertLMPredictionHead(nn.Module):
    """dense to `output_embedding_size`, activation, `LayerNorm`, then `decoder` (own weights)."""

    def __init__(self, config: RemBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.output_embedding_size)
        self.decoder = nn.Linear(config.output_embedding_size, config.vocab_size)
        self.activation = activation_fn(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.output_embedding_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.LayerNorm(self.activation(self.dense(hidden_states))))


class RemBertOnlyMLMHead(nn.Module):
    def __init__(self, config: RemBertConfig) -> None:
        super().__init__()
        self.predictions = RemBertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


# ---------------------------------------------------------------------------- models
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}
_IGNORED = [r"(^|\.)embeddings\.position_ids$"]
_NO_POOLER_KEYS = [*_IGNORED, r"(^|\.)pooler\."]
_CLASSIFIER_DROPOUT = ("classifier_dropout_prob",)


class RemBertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every RemBERT class (weight init is the core's default)."""

    config_class = RemBertConfig
    base_model_prefix = "rembert"
    ignore_unexpected_keys: ClassVar[list[str]] = _IGNORED


class RemBertModel(blocks.EncoderModel, RemBertPreTrainedModel):
    """The encoder: `embeddings`, `encoder` (mapping + layers) and `pooler` (optional)."""

    embeddings_class = RemBertEmbeddings
    encoder_class = RemBertEncoder
    pooler_class = RemBertPooler


class _RemBertLMHead:
    """What both LM heads share (mixed in first): `cls.predictions` over the pooler-less encoder."""

    base_model_class = RemBertModel
    base_model_kwargs = _WITHOUT_POOLER
    lm_head_attribute = "cls"
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: RemBertConfig) -> None:
        self.cls = RemBertOnlyMLMHead(config)


class RemBertForMaskedLM(_RemBertLMHead, MaskedLMHead, RemBertPreTrainedModel):
    """Predicts masked tokens over the vocabulary (`fill-mask`)."""


class RemBertForCausalLM(GenerationMixin, _RemBertLMHead, CausalLMHead, RemBertPreTrainedModel):
    """Left-to-right LM on a causal RemBERT (`is_decoder=True`); has `generate`."""

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "RemBertForCausalLM generates left to right only with a causal model: load it "
                "with is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )


class RemBertForSequenceClassification(SequenceClassificationHead, RemBertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = RemBertModel
    dropout_fields = _CLASSIFIER_DROPOUT


class RemBertForMultipleChoice(MultipleChoiceHead, RemBertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    base_model_class = RemBertModel
    dropout_fields = _CLASSIFIER_DROPOUT


class RemBertForTokenClassification(TokenClassificationHead, RemBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = RemBertModel
    base_model_kwargs = _WITHOUT_POOLER
    dropout_fields = _CLASSIFIER_DROPOUT
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS


class RemBertForQuestionAnswering(QuestionAnsweringHead, RemBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = RemBertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS
