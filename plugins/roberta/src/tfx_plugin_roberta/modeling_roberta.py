"""RoBERTa in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

RoBERTa is BERT's encoder (the core's standard post-norm tree, named the RoBERTa way) with two
differences that matter for the numbers: positions are counted from `pad_token_id + 1` and skip
padding tokens, and the heads differ (`lm_head` with its own bias; a two-layer classification
head on `<s>` without pooler). With `config.is_decoder` the self-attention is causal and keeps a
KV cache, which is what `RobertaForCausalLM.generate` runs on.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_roberta.configuration_roberta import RobertaConfig


def position_ids_from_input_ids(
    input_ids: torch.Tensor, padding_idx: int, past_length: int = 0
) -> torch.Tensor:
    """RoBERTa's positions: `padding_idx + 1 + index among non-padding tokens`; padding gets
    `padding_idx` (fairseq's numbering, which the checkpoints were trained with)."""
    not_pad = input_ids.ne(padding_idx).int()
    return ((torch.cumsum(not_pad, dim=1) + past_length) * not_pad).long() + padding_idx


class RobertaEmbeddings(blocks.EncoderEmbeddings):
    """BERT's embeddings with fairseq position numbering (see `position_ids_from_input_ids`)."""

    def position_padding_idx(self, config: RobertaConfig) -> int | None:
        self.padding_idx = config.pad_token_id
        return config.pad_token_id

    def position_embeds(
        self,
        input_ids: torch.Tensor | None,
        position_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor,
        past_length: int,
    ) -> torch.Tensor:
        if position_ids is None:
            length = inputs_embeds.shape[1]
            self.check_length(self.padding_idx + 1 + past_length + length)
            if input_ids is not None:
                position_ids = position_ids_from_input_ids(input_ids, self.padding_idx, past_length)
            else:  # embeddings give no padding to skip: count from padding_idx + 1
                start = self.padding_idx + 1 + past_length
                position_ids = torch.arange(start, start + length, device=inputs_embeds.device)
                position_ids = position_ids[None]
        return self.position_embeddings(position_ids)


# The encoder: the core's post-norm tree under RoBERTa's class names.
class RobertaSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""


class RobertaSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class RobertaAttention(blocks.Attention):
    self_class = RobertaSelfAttention
    output_class = RobertaSelfOutput


class RobertaIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation."""


class RobertaOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class RobertaLayer(blocks.EncoderLayer):
    attention_class = RobertaAttention
    intermediate_class = RobertaIntermediate
    output_class = RobertaOutput


class RobertaEncoder(blocks.Encoder):
    layer_class = RobertaLayer


class RobertaPooler(blocks.Pooler):
    """The first token's hidden state through a dense layer and tanh."""


class RobertaLMHead(nn.Module):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.layer_norm(F.gelu(self.dense(hidden_states))))


class RobertaClassificationHead(nn.Module):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """`features` are the first token's hidden states `[batch, hidden]`."""
        x = torch.tanh(self.dense(self.dropout(features)))
        return self.out_proj(self.dropout(x))


# ---------------------------------------------------------------------------- models
_NO_POOLER = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]
_TIED_DECODER = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}
_SHARED_BIAS = {"lm_head.decoder.bias": "lm_head.bias"}
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class RobertaPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every RoBERTa class (weight init is the core's default)."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    # old checkpoints saved the position-id buffer
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RobertaLMHead):
            module.bias.data.zero_()


class RobertaModel(blocks.EncoderModel, RobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = RobertaEmbeddings
    encoder_class = RobertaEncoder
    pooler_class = RobertaPooler


class RobertaForMaskedLM(MaskedLMHead, RobertaPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    base_model_class = RobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_weights: ClassVar[dict[str, str]] = _TIED_DECODER
    shared_weights: ClassVar[dict[str, str]] = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_head(self, config: RobertaConfig) -> None:
        self.lm_head = RobertaLMHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder


class RobertaForCausalLM(GenerationMixin, CausalLMHead, RobertaPreTrainedModel):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); has `generate`."""

    base_model_class = RobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_weights: ClassVar[dict[str, str]] = _TIED_DECODER
    shared_weights: ClassVar[dict[str, str]] = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_head(self, config: RobertaConfig) -> None:
        self.lm_head = RobertaLMHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """Generation numbers positions from 0; RoBERTa's start after the padding id."""
        if position_ids is not None:
            position_ids = position_ids + self.config.pad_token_id + 1
        return super()._decode_forward(
            input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache
        )


class RobertaForSequenceClassification(SequenceClassificationHead, RobertaPreTrainedModel):
    """Classifies (or regresses) the whole sequence through `RobertaClassificationHead`."""

    base_model_class = RobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_classifier(self, config: RobertaConfig, outputs: int) -> nn.Module:
        return RobertaClassificationHead(config)


class RobertaForTokenClassification(TokenClassificationHead, RobertaPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = RobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class RobertaForQuestionAnswering(QuestionAnsweringHead, RobertaPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = RobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class RobertaForMultipleChoice(MultipleChoiceHead, RobertaPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = RobertaModel
    dropout_fields = ("hidden_dropout_prob",)
