"""MobileBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

MobileBERT is a thin BERT: 24 layers that work at `intra_bottleneck_size` (128) inside a
`hidden_size` (512) residual stream. Read top to bottom:
- `NoNorm` (an elementwise affine map, the checkpoints' `normalization_type`) and the
  embeddings: 128-wide word vectors seen as trigrams (next, current, previous token) and
  projected to `hidden_size`, plus positions and token types;
- the layer: `bottleneck` narrows the input (one projection for queries and keys, one for the
  residual), attention runs in the narrow width (values from the wide input), `ffn` stacks
  `num_feedforward_networks - 1` extra feed-forward networks, and `output.bottleneck` widens
  back onto the layer's input;
- the pooler (optionally without a dense layer), the masked-LM head whose vocabulary matrix is
  the 128-wide embeddings plus `dense` columns, and one class per task head.
The post-norm residual, attention, masks, heads' plumbing and losses come from
`tfx_core.modeling.torch`; queries and keys of one input run as one product at inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPooling,
    MaskedLMAndNextSentenceOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import (
    activated,
    multi_head_context,
    residual_norm,
    split_heads,
)
from tfx_core.modeling.torch.heads import (
    MaskedLMAndNextSentenceHead,
    MaskedLMHead,
    MultipleChoiceHead,
    NextSentencePredictionHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.projections import FusedProjections
from tfx_plugin_mobilebert.configuration_mobilebert import MobileBertConfig


@trusted_forward
class NoNorm(nn.Module):
    """`x * weight + bias` per feature: MobileBERT's replacement for layer norm."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(size))
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return hidden_states * self.weight + self.bias


def make_norm(config: MobileBertConfig, size: int, eps: float | None = None) -> nn.Module:
    """`NoNorm` or `LayerNorm` as `normalization_type` says; `eps=None` is torch's default,
    which the reference keeps for the embeddings' and the layer output's norms."""
    if config.normalization_type == "no_norm":
        return NoNorm(size)
    return nn.LayerNorm(size) if eps is None else nn.LayerNorm(size, eps=eps)


def trigrams(embeds: torch.Tensor) -> torch.Tensor:
    """Each position's next, own and previous vectors side by side (zeros past the ends)."""
    following = F.pad(embeds[:, 1:], (0, 0, 0, 1))
    preceding = F.pad(embeds[:, :-1], (0, 0, 1, 0))
    return torch.cat([following, embeds, preceding], dim=2)


class MobileBertEmbeddings(nn.Module):
    """Word trigrams projected to `hidden_size` (`embedding_transformation`) + positions + types."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.trigram_input = config.trigram_input
        self.transform = config.trigram_input or config.embedding_size != config.hidden_size
        hidden, width = config.hidden_size, config.embedding_size
        self.word_embeddings = nn.Embedding(config.vocab_size, width, config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.embedding_transformation = nn.Linear(width * (3 if self.trigram_input else 1), hidden)
        self.LayerNorm = make_norm(config, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if self.trigram_input:
            inputs_embeds = trigrams(inputs_embeds)
        if self.transform:
            inputs_embeds = self.embedding_transformation(inputs_embeds)
        length = inputs_embeds.shape[1]
        if position_ids is not None:
            positions = self.position_embeddings(position_ids)
        elif length > self.max_positions:
            raise ConfigError(
                f"The input has {length} positions but this model handles at most "
                f"{self.max_positions} (max_position_embeddings): truncate it "
                "(e.g. tokenizer(..., truncation=True))."
            )
        else:
            positions = self.position_embeddings.weight[:length]
        if token_type_ids is None:
            types = self.token_type_embeddings.weight[0]
        else:
            types = self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(inputs_embeds + positions + types))


# ---------------------------------------------------------------------------- the layer
@trusted_forward
class MobileBertSelfAttention(nn.Module):
    """Attention in the narrow width; queries and keys share an input (one product at inference)."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        width = config.true_hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = width // config.num_attention_heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        value_input = width if config.use_bottleneck_attention else config.hidden_size
        self.value = nn.Linear(value_input, width)
        self.dropout_p = config.attention_probs_dropout_prob
        self.projections = FusedProjections(self, ("query", "key"))

    def forward(
        self,
        query_tensor: torch.Tensor,
        key_tensor: torch.Tensor,
        value_tensor: torch.Tensor,
        bias: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length = query_tensor.shape[:2]
        heads = self.num_attention_heads
        if query_tensor is key_tensor:
            query, key = self.projections.heads(query_tensor, heads)
        else:
            query = split_heads(self.query(query_tensor), batch, length, heads)
            key = split_heads(self.key(key_tensor), batch, length, heads)
        value = split_heads(self.value(value_tensor), batch, length, heads)
        return multi_head_context(
            query,
            key,
            value,
            bias=bias,
            dropout_p=self.dropout_p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )


@trusted_forward
class MobileBertSelfOutput(nn.Module):
    """Projection, (dropout without bottleneck,) residual add and norm, in the narrow width."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        width = config.true_hidden_size
        self.dense = nn.Linear(width, width)
        self.LayerNorm = make_norm(config, width, config.layer_norm_eps)
        if not config.use_bottleneck:
            self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        dropout = self._modules.get("dropout") if self.training else None
        return residual_norm(hidden_states, residual, self.dense, self.LayerNorm, dropout)


@trusted_forward
class MobileBertAttention(nn.Module):
    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.self = MobileBertSelfAttention(config)
        self.output = MobileBertSelfOutput(config)

    def forward(
        self,
        query_tensor: torch.Tensor,
        key_tensor: torch.Tensor,
        value_tensor: torch.Tensor,
        layer_input: torch.Tensor,
        *attention: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`attention`: bias, head mask, output_attentions, implementation."""
        context, weights = self.self(query_tensor, key_tensor, value_tensor, *attention)
        return self.output(context, layer_input), weights


@trusted_forward
class MobileBertIntermediate(nn.Module):
    """Narrow width -> `intermediate_size`, then `hidden_act`."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.true_hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation_fn(config.hidden_act)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return activated(hidden_states, self.dense, self.intermediate_act_fn)


@trusted_forward
class OutputBottleneck(nn.Module):
    """Back to `hidden_size`: projection, dropout, residual (the layer's input) and norm."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.true_hidden_size, config.hidden_size)
        self.LayerNorm = make_norm(config, config.hidden_size, config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout if self.training else None
        return residual_norm(hidden_states, residual, self.dense, self.LayerNorm, dropout)


@trusted_forward
class MobileBertOutput(nn.Module):
    """The last feed-forward projection + residual + norm, then (with bottleneck) widening."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.true_hidden_size)
        self.LayerNorm = make_norm(config, config.true_hidden_size)
        if config.use_bottleneck:
            self.bottleneck = OutputBottleneck(config)
        else:
            self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, intermediate: torch.Tensor, residual: torch.Tensor, layer_input: torch.Tensor
    ) -> torch.Tensor:
        bottleneck = self._modules.get("bottleneck")
        if bottleneck is None:
            dropout = self.dropout if self.training else None
            return residual_norm(intermediate, residual, self.dense, self.LayerNorm, dropout)
        return bottleneck(
            residual_norm(intermediate, residual, self.dense, self.LayerNorm), layer_input
        )


@trusted_forward
class BottleneckLayer(nn.Module):
    """`hidden_size` -> `intra_bottleneck_size`, then norm."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intra_bottleneck_size)
        self.LayerNorm = make_norm(config, config.intra_bottleneck_size, config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden_states))


@trusted_forward
class Bottleneck(nn.Module):
    """The layer's inputs: `(query, key, value, residual)` tensors from its wide input."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.use_bottleneck_attention = config.use_bottleneck_attention
        self.input = BottleneckLayer(config)
        if config.key_query_shared_bottleneck:
            self.attention = BottleneckLayer(config)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        narrow = self.input(hidden_states)
        if self.use_bottleneck_attention:
            return narrow, narrow, narrow, narrow
        shared = self._modules.get("attention")
        if shared is not None:
            queries = shared(hidden_states)
            return queries, queries, hidden_states, narrow
        return hidden_states, hidden_states, hidden_states, narrow


@trusted_forward
class FFNOutput(nn.Module):
    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.true_hidden_size)
        self.LayerNorm = make_norm(config, config.true_hidden_size, config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return residual_norm(hidden_states, residual, self.dense, self.LayerNorm)


@trusted_forward
class FFNLayer(nn.Module):
    """One of the stacked feed-forward networks: `x -> norm(x + ffn(x))` in the narrow width."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.intermediate = MobileBertIntermediate(config)
        self.output = FFNOutput(config)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.output(self.intermediate(hidden_states), hidden_states)


@trusted_forward
class MobileBertLayer(nn.Module):
    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.attention = MobileBertAttention(config)
        self.intermediate = MobileBertIntermediate(config)
        self.output = MobileBertOutput(config)
        if config.use_bottleneck:
            self.bottleneck = Bottleneck(config)
        if config.num_feedforward_networks > 1:
            extra = config.num_feedforward_networks - 1
            self.ffn = nn.ModuleList(FFNLayer(config) for _ in range(extra))

    def forward(
        self, hidden_states: torch.Tensor, *attention: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`attention`: bias, head mask, output_attentions, implementation."""
        bottleneck = self._modules.get("bottleneck")
        if bottleneck is not None:
            query, key, value, layer_input = bottleneck(hidden_states)
        else:
            query = key = value = layer_input = hidden_states
        attended, weights = self.attention(query, key, value, layer_input, *attention)
        for ffn in self._modules.get("ffn") or ():
            attended = ffn(attended)
        return self.output(self.intermediate(attended), attended, hidden_states), weights


@trusted_forward
class MobileBertEncoder(nn.Module):
    """`num_hidden_layers` layers in `layer` (the core `EncoderModel`'s stack interface)."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(MobileBertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Any = None,
        head_mask: list[torch.Tensor | None] | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_weights = () if output_attentions else None
        for i, layer in enumerate(self.layer):
            layer_head_mask = head_mask[i] if head_mask is not None else None
            hidden_states, weights = layer(
                hidden_states, bias, layer_head_mask, output_attentions, implementation
            )
            if all_hidden is not None:
                all_hidden += (hidden_states,)
            if all_weights is not None:
                all_weights += (weights,)
        return hidden_states, all_hidden, all_weights


@trusted_forward
class MobileBertPooler(nn.Module):
    """The first token, through dense + tanh when `classifier_activation`."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        if config.classifier_activation:
            self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        dense = self._modules.get("dense")
        first = hidden_states[:, 0]
        return first if dense is None else torch.tanh(dense(first))


# ---------------------------------------------------------------------------- heads' layers
class MobileBertPredictionHeadTransform(blocks.PredictionHeadTransform):
    """dense -> `hidden_act` -> LayerNorm (always a layer norm)."""


class MobileBertLMPredictionHead(nn.Module):
    """Vocabulary logits from the tied `embedding_size` columns (`decoder`) and the
    `hidden_size - embedding_size` columns of its own (`dense`, stored `[columns, vocab]`)."""

    def __init__(self, config: MobileBertConfig) -> None:
        super().__init__()
        self.transform = MobileBertPredictionHeadTransform(config)
        extra = config.hidden_size - config.embedding_size
        self.dense = nn.Linear(config.vocab_size, extra, bias=False)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden = self.transform(hidden_states)
        width = self.decoder.in_features
        tied = F.linear(hidden[..., :width], self.decoder.weight, self.bias)
        return tied + hidden[..., width:].matmul(self.dense.weight)


class MobileBertOnlyMLMHead(blocks.OnlyMLMHead):
    prediction_class = MobileBertLMPredictionHead


class MobileBertOnlyNSPHead(blocks.OnlyNSPHead):
    """`seq_relationship`: is sentence B the continuation of sentence A (two logits)."""


class MobileBertPreTrainingHeads(blocks.PreTrainingHeads):
    prediction_class = MobileBertLMPredictionHead


@dataclass(repr=False, eq=False)
class MobileBertForPreTrainingOutput(MaskedLMAndNextSentenceOutput):
    """Masked-LM and next-sentence logits."""


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "mobilebert.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
_NO_POOLER = [r"(^|\.)pooler\."]
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class MobileBertPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every MobileBERT class."""

    config_class = MobileBertConfig
    base_model_prefix = "mobilebert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, NoNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, MobileBertLMPredictionHead):
            module.bias.data.zero_()


class MobileBertModel(blocks.EncoderModel, MobileBertPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = MobileBertEmbeddings
    encoder_class = MobileBertEncoder
    pooler_class = MobileBertPooler
    base_output_class = BaseModelOutputWithPooling


class MobileBertForMaskedLM(MaskedLMHead, MobileBertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    base_model_class = MobileBertModel
    base_model_kwargs = _WITHOUT_POOLER
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = [*_NO_POOLER, r"^cls\.seq_relationship\."]
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: MobileBertConfig) -> None:
        self.cls = MobileBertOnlyMLMHead(config)


class MobileBertForPreTraining(MaskedLMAndNextSentenceHead, MobileBertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    base_model_class = MobileBertModel
    output_class = MobileBertForPreTrainingOutput
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: MobileBertConfig) -> None:
        self.cls = MobileBertPreTrainingHeads(config)


class MobileBertForNextSentencePrediction(NextSentencePredictionHead, MobileBertPreTrainedModel):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    base_model_class = MobileBertModel
    ignore_unexpected_keys: ClassVar[list[str]] = [r"^cls\.predictions\."]

    def build_head(self, config: MobileBertConfig) -> None:
        self.cls = MobileBertOnlyNSPHead(config)


class MobileBertForSequenceClassification(SequenceClassificationHead, MobileBertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = MobileBertModel


class MobileBertForMultipleChoice(MultipleChoiceHead, MobileBertPreTrainedModel):
    """Scores each of `num_choices` text pairs from the pooled output."""

    base_model_class = MobileBertModel


class MobileBertForTokenClassification(TokenClassificationHead, MobileBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = MobileBertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class MobileBertForQuestionAnswering(QuestionAnsweringHead, MobileBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = MobileBertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER
