"""Megatron-BERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

Megatron-BERT is BERT with pre-norm layers: each sub-layer normalizes its input
(`attention.ln`, then the layer's `ln` before the feed-forward) and adds its output to the
residual unnormalized; the stack ends with `encoder.ln`, and the embeddings have no layer norm.
The attention, feed-forward projections, heads and base-model plumbing are the core's
(`blocks`); this file holds the pre-norm wiring. Read top to bottom: embeddings, the attention
and feed-forward pieces, the layer, the stack, the heads' layers, `MegatronBertModel`, then one
class per task head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import GenerationError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import MaskedLMAndNextSentenceOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMAndNextSentenceHead,
    MaskedLMHead,
    MultipleChoiceHead,
    NextSentencePredictionHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_megatron_bert.configuration_megatron_bert import MegatronBertConfig


class MegatronBertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings and dropout (no layer norm: the layers norm)."""

    normalized = False


class MegatronBertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`); relative variants, KV cache."""


@trusted_forward
class MegatronBertSelfOutput(nn.Module):
    """Attention output projection (`dense`) and dropout, added to the residual (no norm)."""

    def __init__(self, config: MegatronBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        hidden_states = self.dense(hidden_states)
        return residual + (self.dropout(hidden_states) if self.training else hidden_states)


@trusted_forward
class MegatronBertAttention(blocks.Attention):
    """`ln`, then self-attention (`self`) and its output (`output`) on the residual."""

    self_class = MegatronBertSelfAttention
    output_class = MegatronBertSelfOutput

    def __init__(self, config: MegatronBertConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(
            self.ln(hidden_states),
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            implementation,
        )
        return self.output(context, hidden_states), weights


class MegatronBertIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


@trusted_forward
class MegatronBertOutput(MegatronBertSelfOutput):
    """Second feed-forward projection (`dense`) and dropout, added to the residual (no norm)."""

    def __init__(self, config: MegatronBertConfig) -> None:
        super().__init__(config)
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)


@trusted_forward
class MegatronBertLayer(blocks.EncoderLayer):
    """Pre-norm layer: `x + attention(ln(x))`, then `. + output(intermediate(ln(.)))`."""

    attention_class = MegatronBertAttention
    intermediate_class = MegatronBertIntermediate
    output_class = MegatronBertOutput
    lean_layout = None  # the core's lean stack is post-norm; this layer runs its modules

    def __init__(self, config: MegatronBertConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        return self.output(self.intermediate(self.ln(attended)), attended), weights


@trusted_forward
class MegatronBertEncoder(blocks.Encoder):
    """The layers, then the final `ln` (which, as in the reference, replaces the last hidden state)."""

    layer_class = MegatronBertLayer

    def __init__(self, config: MegatronBertConfig) -> None:
        super().__init__(config)
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

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
        hidden, all_hidden, all_weights = super().forward(
            hidden_states,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            output_hidden_states,
            implementation,
        )
        hidden = self.ln(hidden)
        if all_hidden is not None:
            all_hidden = (*all_hidden[:-1], hidden)
        return hidden, all_hidden, all_weights


class MegatronBertPooler(blocks.Pooler):
    """tanh(dense(first token)): the sentence summary the classification heads read."""


class MegatronBertLMPredictionHead(blocks.LMPredictionHead):
    """`transform` (dense, activation, norm), then `decoder` (tied; bias shared with `bias`)."""


class MegatronBertOnlyMLMHead(blocks.OnlyMLMHead):
    prediction_class = MegatronBertLMPredictionHead


class MegatronBertOnlyNSPHead(blocks.OnlyNSPHead):
    """`seq_relationship`: is sentence B the continuation of sentence A (two logits)."""


class MegatronBertPreTrainingHeads(blocks.PreTrainingHeads):
    prediction_class = MegatronBertLMPredictionHead


@dataclass(repr=False, eq=False)
class MegatronBertForPreTrainingOutput(MaskedLMAndNextSentenceOutput):
    """Masked-LM and next-sentence logits."""


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}
_POSITION_IDS = r"(^|\.)embeddings\.position_ids$"
_NO_POOLER = [_POSITION_IDS, r"(^|\.)pooler\.", r"^cls\.seq_relationship\."]


class MegatronBertPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every Megatron-BERT class."""

    config_class = MegatronBertConfig
    base_model_prefix = "bert"
    ignore_unexpected_keys: ClassVar[list[str]] = [_POSITION_IDS]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, MegatronBertLMPredictionHead):
            module.bias.data.zero_()


class MegatronBertModel(blocks.EncoderModel, MegatronBertPreTrainedModel):
    """Embeddings, the pre-norm encoder and the pooler (optional); causal with `is_decoder`."""

    embeddings_class = MegatronBertEmbeddings
    encoder_class = MegatronBertEncoder
    pooler_class = MegatronBertPooler


class MegatronBertForPreTraining(MaskedLMAndNextSentenceHead, MegatronBertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    base_model_class = MegatronBertModel
    output_class = MegatronBertForPreTrainingOutput
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: MegatronBertConfig) -> None:
        self.cls = MegatronBertPreTrainingHeads(config)


class MegatronBertForMaskedLM(MaskedLMHead, MegatronBertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`); label -100 is ignored."""

    base_model_class = MegatronBertModel
    base_model_kwargs = _WITHOUT_POOLER
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: MegatronBertConfig) -> None:
        self.cls = MegatronBertOnlyMLMHead(config)


class MegatronBertForCausalLM(GenerationMixin, CausalLMHead, MegatronBertPreTrainedModel):
    """Left-to-right language modelling with a causal model (`is_decoder=True`); `generate`."""

    base_model_class = MegatronBertModel
    base_model_kwargs = _WITHOUT_POOLER
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER
    build_head = MegatronBertForMaskedLM.build_head
    output_embeddings_attribute = "cls.predictions.decoder"

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "MegatronBertForCausalLM generates left to right only with a causal model: load "
                "it with is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )


class MegatronBertForNextSentencePrediction(
    NextSentencePredictionHead, MegatronBertPreTrainedModel
):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    base_model_class = MegatronBertModel
    ignore_unexpected_keys: ClassVar[list[str]] = [_POSITION_IDS, r"^cls\.predictions\."]

    def build_head(self, config: MegatronBertConfig) -> None:
        self.cls = MegatronBertOnlyNSPHead(config)


class MegatronBertForSequenceClassification(
    SequenceClassificationHead, MegatronBertPreTrainedModel
):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = MegatronBertModel


class MegatronBertForMultipleChoice(MultipleChoiceHead, MegatronBertPreTrainedModel):
    """Scores each of `num_choices` text pairs from the pooled output."""

    base_model_class = MegatronBertModel


class MegatronBertForTokenClassification(TokenClassificationHead, MegatronBertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = MegatronBertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class MegatronBertForQuestionAnswering(QuestionAnsweringHead, MegatronBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = MegatronBertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER
