"""ConvBERT in PyTorch: BERT whose attention shares its width with span-based convolutions.

ConvBERT (Jiang et al., 2020) gives half of each layer's heads to self-attention and half to a
"span-based dynamic convolution": a separable convolution of the input (`key_conv_attn_layer`)
times the query predicts, at each position, a softmax kernel (`conv_kernel_layer`) that mixes
the `conv_kernel_size` neighbouring values of `conv_out_layer`. Both halves are concatenated
before the usual output projection. The feed-forward projections may be grouped (`num_groups`).
Its self-attention is written here (the core's attention math does the attention half); the
embeddings (factorized, `embeddings_project`), layer tree, heads and losses are the core's.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import multi_head_context, split_heads
from tfx_core.modeling.torch.blocks.tied_lm_heads import FirstTokenClassifier
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.summary import SummaryChoiceHead
from tfx_plugin_convbert.configuration_convbert import ConvBertConfig


class ConvBertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings of width `embedding_size`, norm, dropout."""


# ---------------------------------------------------------------------------- the attention
class SeparableConv1D(nn.Module):
    """A depthwise convolution (`kernel_size`, same length) then a pointwise one, plus `bias`."""

    def __init__(self, channels_in: int, channels_out: int, kernel_size: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(
            channels_in,
            channels_in,
            kernel_size,
            groups=channels_in,
            padding=kernel_size // 2,
            bias=False,
        )
        self.pointwise = nn.Conv1d(channels_in, channels_out, kernel_size=1, bias=False)
        self.bias = nn.Parameter(torch.zeros(channels_out, 1))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """`[batch, channels_in, length]` -> `[batch, channels_out, length]`."""
        return self.pointwise(self.depthwise(hidden_states)) + self.bias


class ConvBertSelfAttention(nn.Module):
    """`num_attention_heads // head_ratio` attention heads (`query`, `key`, `value`) and as many
    dynamic convolution heads; their outputs are concatenated to `hidden_size`."""

    def __init__(self, config: ConvBertConfig, layer_idx: int = 0) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_attention_heads = config.attention_heads
        self.attention_head_size = hidden // self.num_attention_heads // 2
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.conv_kernel_size = config.conv_kernel_size
        self.query = nn.Linear(hidden, self.all_head_size)
        self.key = nn.Linear(hidden, self.all_head_size)
        self.value = nn.Linear(hidden, self.all_head_size)
        self.key_conv_attn_layer = SeparableConv1D(
            hidden, self.all_head_size, config.conv_kernel_size
        )
        self.conv_kernel_layer = nn.Linear(
            self.all_head_size, self.num_attention_heads * config.conv_kernel_size
        )
        self.conv_out_layer = nn.Linear(hidden, self.all_head_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def dynamic_convolution(self, hidden_states: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Each position's softmax kernel over its `conv_kernel_size` neighbours, per head."""
        batch, length, _ = hidden_states.shape
        size, width = self.conv_kernel_size, self.attention_head_size
        span_key = self.key_conv_attn_layer(hidden_states.transpose(1, 2)).transpose(1, 2)
        kernels = self.conv_kernel_layer(span_key * query)
        kernels = kernels.view(batch, length, self.num_attention_heads, size).softmax(-1)
        values = F.pad(self.conv_out_layer(hidden_states), (0, 0, size // 2, size // 2))
        windows = values.unfold(1, size, 1)  # [batch, length, all_head_size, kernel]
        windows = windows.reshape(batch, length, self.num_attention_heads, width, size)
        mixed = (windows @ kernels.unsqueeze(-1)).squeeze(-1)
        return mixed.reshape(batch, length, self.all_head_size)

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
        if is_causal or cache is not None:
            raise ConfigError("ConvBERT is an encoder only: set is_decoder=False.")
        batch, length, _ = hidden_states.shape
        heads = self.num_attention_heads
        mixed_query = self.query(hidden_states)
        context, weights = multi_head_context(
            split_heads(mixed_query, batch, length, heads),
            split_heads(self.key(hidden_states), batch, length, heads),
            split_heads(self.value(hidden_states), batch, length, heads),
            bias=bias,
            dropout_p=self.dropout_p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )
        convolved = self.dynamic_convolution(hidden_states, mixed_query)
        return torch.cat([context, convolved], dim=-1), weights


class ConvBertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class ConvBertAttention(blocks.Attention):
    self_class = ConvBertSelfAttention
    output_class = ConvBertSelfOutput


class GroupedLinearLayer(nn.Module):
    """`num_groups` independent projections of equal slices (`weight` `[groups, in, out]`)."""

    def __init__(self, input_size: int, output_size: int, num_groups: int) -> None:
        super().__init__()
        self.num_groups = num_groups
        self.output_size = output_size
        self.weight = nn.Parameter(
            torch.empty(num_groups, input_size // num_groups, output_size // num_groups)
        )
        self.bias = nn.Parameter(torch.zeros(output_size))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        *lead, width = hidden_states.shape
        groups = hidden_states.reshape(-1, self.num_groups, width // self.num_groups)
        out = torch.einsum("ngi,gio->ngo", groups, self.weight)
        return out.reshape(*lead, self.output_size) + self.bias


def _grouped(config: ConvBertConfig, module: nn.Module, size_in: int, size_out: int) -> None:
    """Replace `module.dense` by a grouped projection when `num_groups` > 1."""
    if config.num_groups > 1:
        module.dense = GroupedLinearLayer(size_in, size_out, config.num_groups)


class ConvBertIntermediate(blocks.Intermediate):
    """First feed-forward projection (grouped when `num_groups` > 1) and the activation."""

    def __init__(self, config: ConvBertConfig) -> None:
        super().__init__(config)
        _grouped(config, self, config.hidden_size, config.intermediate_size)


class ConvBertOutput(blocks.Output):
    """Second feed-forward projection (grouped when `num_groups` > 1), residual, layer norm."""

    def __init__(self, config: ConvBertConfig) -> None:
        super().__init__(config)
        _grouped(config, self, config.intermediate_size, config.hidden_size)


class ConvBertLayer(blocks.EncoderLayer):
    """BERT's post-norm layer around ConvBERT's mixed attention (no lean plan: its own math)."""

    attention_class = ConvBertAttention
    intermediate_class = ConvBertIntermediate
    output_class = ConvBertOutput
    lean_layout = None


class ConvBertEncoder(blocks.Encoder):
    layer_class = ConvBertLayer


# ---------------------------------------------------------------------------- head layers
class ConvBertGeneratorPredictions(nn.Module):
    """dense to `embedding_size`, gelu, `LayerNorm`, before the (tied) vocabulary projection."""

    def __init__(self, config: ConvBertConfig) -> None:
        super().__init__()
        self.activation = activation_fn("gelu")
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)

    def forward(self, generator_hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.activation(self.dense(generator_hidden_states)))


class ConvBertClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the first token: dropout, dense, `hidden_act`, dropout, `out_proj`."""

    def __init__(self, config: ConvBertConfig) -> None:
        super().__init__(config)
        self.activation_fn = activation_fn(config.hidden_act)


# ---------------------------------------------------------------------------- models
class ConvBertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every ConvBERT class."""

    config_class = ConvBertConfig
    base_model_prefix = "convbert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.(position|token_type)_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        if isinstance(module, (nn.Conv1d, GroupedLinearLayer)):
            module.weight.data.normal_(0.0, std)
        if isinstance(module, (SeparableConv1D, GroupedLinearLayer)):
            module.bias.data.zero_()


class ConvBertModel(blocks.EncoderModel, ConvBertPreTrainedModel):
    """Embeddings, `embeddings_project` when `embedding_size != hidden_size`, the encoder."""

    embeddings_class = ConvBertEmbeddings
    encoder_class = ConvBertEncoder
    pooler_class = None
    project_embeddings = True


class ConvBertForMaskedLM(MaskedLMHead, ConvBertPreTrainedModel):
    """Masked-token prediction; the vocabulary projection is tied to the word embeddings."""

    base_model_class = ConvBertModel
    tied_weights: ClassVar[dict[str, str]] = {
        "generator_lm_head.weight": "convbert.embeddings.word_embeddings.weight"
    }
    output_embeddings_attribute = "generator_lm_head"

    def build_head(self, config: ConvBertConfig) -> None:
        self.generator_predictions = ConvBertGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.generator_lm_head(self.generator_predictions(hidden))


class ConvBertForSequenceClassification(
    FirstTokenClassifier, SequenceClassificationHead, ConvBertPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through `ConvBertClassificationHead`."""

    base_model_class = ConvBertModel
    classification_head_class = ConvBertClassificationHead


class ConvBertForMultipleChoice(SummaryChoiceHead, MultipleChoiceHead, ConvBertPreTrainedModel):
    """Scores each candidate from its `sequence_summary`."""

    base_model_class = ConvBertModel


class ConvBertForTokenClassification(TokenClassificationHead, ConvBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = ConvBertModel


class ConvBertForQuestionAnswering(QuestionAnsweringHead, ConvBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = ConvBertModel
