"""DeBERTa (v1) in PyTorch, with the reference's class and parameter names so Hub checkpoints
load.

DeBERTa is a BERT-style post-norm encoder whose attention is *disentangled*: besides
query . key, each head scores query . (projected relative-position embedding) (`c2p`, by
`pos_proj`) and key . (projected relative-position embedding) (`p2c`, by `pos_q_proj`) over
the relative embeddings shared by every layer (`encoder.rel_embeddings`). Query, key and value
come from one bias-free product (`in_proj`, heads interleaved) plus `q_bias` / `v_bias`; with
`talking_head` the heads' scores and weights are mixed by `head_logits_proj` /
`head_weights_proj`. The relative-position math, the masked embeddings and the context pooler
are the core's (`blocks.disentangled`); the attention output, feed-forward and their norms are
the core's standard blocks. Read top to bottom: embeddings, attention, layer, encoder,
`DebertaModel`, then one class per task head.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.blocks.disentangled import (
    MaskedEmbeddings,
    disentangled_scores,
    position_heads,
    relative_positions,
    relative_rows,
    table_span,
)
from tfx_core.modeling.torch.blocks.disentangled_heads import (
    DisentangledMaskedLMHead,
    DisentangledModel,
    DisentangledSequenceClassificationHead,
    WordEmbeddingPrediction,
)
from tfx_core.modeling.torch.blocks.disentangled_layers import (
    DisentangledAttention,
    DisentangledLayer,
    Relative,
    run_layers,
)
from tfx_core.modeling.torch.blocks.functional import merge_heads, multi_head_context
from tfx_core.modeling.torch.heads import (
    QuestionAnsweringHead,
    TokenClassificationHead,
)
from tfx_plugin_deberta.configuration_deberta import DebertaConfig


class DebertaEmbeddings(MaskedEmbeddings):
    """Word (+ position if `position_biased_input`) (+ token type) embeddings, `embed_proj`
    when `embedding_size` differs, `LayerNorm`, padding zeroed, dropout."""


class DisentangledSelfAttention(nn.Module):
    """`in_proj` (query, key, value; no bias) with `q_bias` / `v_bias`, and `pos_proj` (c2p)
    and `pos_q_proj` (p2c) for the relative embeddings; optional talking heads."""

    def __init__(self, config: DebertaConfig) -> None:
        super().__init__()
        self.num_attention_heads = heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // heads
        width = heads * self.attention_head_size
        self.in_proj = nn.Linear(config.hidden_size, 3 * width, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(width))
        self.v_bias = nn.Parameter(torch.zeros(width))
        self.pos_att_type = config.pos_att_type
        self.relative_attention = config.relative_attention
        self.talking_head = bool(getattr(config, "talking_head", False))
        if self.talking_head:
            self.head_logits_proj = nn.Linear(heads, heads, bias=False)
            self.head_weights_proj = nn.Linear(heads, heads, bias=False)
        if self.relative_attention:
            self.pos_dropout = nn.Dropout(config.hidden_dropout_prob)
            if "c2p" in self.pos_att_type:
                self.pos_proj = nn.Linear(config.hidden_size, width, bias=False)
            if "p2c" in self.pos_att_type:
                self.pos_q_proj = nn.Linear(config.hidden_size, width)
        self.dropout_p = config.attention_probs_dropout_prob
        self.scale = (self.attention_head_size * (1 + len(self.pos_att_type))) ** -0.5

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        relative: Relative | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length = hidden_states.shape[:2]
        heads = self.num_attention_heads
        qkv = self.in_proj(hidden_states).view(batch, length, heads, -1).transpose(1, 2)
        query, key, value = qkv.chunk(3, dim=-1)
        query = query + self.q_bias.view(heads, 1, -1)
        value = value + self.v_bias.view(heads, 1, -1)
        scores = None
        if self.relative_attention and relative is not None:
            scores = self.relative_scores(query, key, relative)
            scores = scores * self.scale if scores is not None else None
        if self.talking_head:
            return self.talking_heads(query, key, value, scores, bias)
        if scores is not None:
            bias = scores if bias is None else scores + bias
        return multi_head_context(
            query,
            key,
            value,
            bias=bias,
            scale=self.scale,
            dropout_p=self.dropout_p if self.training else 0.0,
            output_attentions=output_attentions,
            implementation=implementation,
        )

    def relative_scores(
        self, query: torch.Tensor, key: torch.Tensor, relative: Relative
    ) -> torch.Tensor | None:
        """c2p + p2c over the table rows this forward reads (not yet scaled)."""
        table = self.pos_dropout(relative.embeddings) if self.training else relative.embeddings
        heads = self.num_attention_heads
        position_keys = position_queries = None
        if "c2p" in self.pos_att_type:
            position_keys = position_heads(self.pos_proj(table), heads)
        if "p2c" in self.pos_att_type:
            position_queries = position_heads(self.pos_q_proj(table), heads)
        return disentangled_scores(query, key, relative.rows, position_keys, position_queries)

    def talking_heads(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        scores: torch.Tensor | None,
        bias: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores mixed across heads before the mask, weights mixed after the softmax."""
        logits = torch.matmul(query, key.transpose(-1, -2)) * self.scale
        if scores is not None:
            logits = logits + scores
        logits = self.head_logits_proj(logits.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        if bias is not None:
            logits = (logits + bias).clamp_min(torch.finfo(logits.dtype).min)
        weights = torch.softmax(logits, dim=-1)
        if self.training and self.dropout_p:
            weights = F.dropout(weights, p=self.dropout_p)
        weights = self.head_weights_proj(weights.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return merge_heads(torch.matmul(weights, value)), weights


class DebertaSelfOutput(blocks.SelfOutput):
    """Attention output projection (`dense`), dropout, residual add and `LayerNorm`."""


class DebertaAttention(DisentangledAttention):
    """`self` (disentangled attention) and `output` (projection + residual + norm)."""

    self_attention_class = DisentangledSelfAttention
    output_class = DebertaSelfOutput


class DebertaIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class DebertaOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


class DebertaLayer(DisentangledLayer):
    """One post-norm layer: `attention`, then `intermediate` and `output` (feed-forward)."""

    attention_class = DebertaAttention
    intermediate_class = DebertaIntermediate
    output_class = DebertaOutput


class DebertaEncoder(nn.Module):
    """`layer`s sharing the relative-position table `rel_embeddings`."""

    def __init__(self, config: DebertaConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(DebertaLayer(config) for _ in range(config.num_hidden_layers))
        self.relative_attention = config.relative_attention
        self.max_relative_positions = table_span(config)[0]
        if self.relative_attention:
            self.rel_embeddings = nn.Embedding(2 * self.max_relative_positions, config.hidden_size)

    def relative(self, length: int, device: torch.device) -> Relative | None:
        """The table rows this length reads and where each score reads them."""
        if not self.relative_attention:
            return None
        span = min(length, self.max_relative_positions)
        distances = relative_positions(length, length, device=device)
        rows = relative_rows(distances, span, offset=self.max_relative_positions - span)
        return Relative(rows, self.rel_embeddings.weight[rows.start : rows.stop])

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        relative = self.relative(hidden_states.shape[1], hidden_states.device)
        return run_layers(
            self.layer,
            hidden_states,
            bias,
            relative,
            output_attentions,
            output_hidden_states,
            implementation,
        )


# ---------------------------------------------------------------------------- models
class DebertaPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every DeBERTa class."""

    config_class = DebertaConfig
    base_model_prefix = "deberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"(^|\.)embeddings\.position_ids$",
        r"(^|\.)mask_predictions\.",
    ]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, (WordEmbeddingPrediction, blocks.LMPredictionHead)):
            module.bias.data.zero_()


class DebertaModel(DisentangledModel, DebertaPreTrainedModel):
    """`embeddings` and the disentangled-attention `encoder` (no pooler)."""

    embeddings_class = DebertaEmbeddings
    encoder_class = DebertaEncoder


class DebertaForMaskedLM(DisentangledMaskedLMHead, DebertaPreTrainedModel):
    """Predicts masked tokens (`fill-mask`); `config.legacy` picks the head layout."""

    base_model_class = DebertaModel


class DebertaForSequenceClassification(
    DisentangledSequenceClassificationHead, DebertaPreTrainedModel
):
    """Classification or regression of a text (pair): `pooler` (first token), `classifier`."""

    base_model_class = DebertaModel


class DebertaForTokenClassification(TokenClassificationHead, DebertaPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = DebertaModel
    dropout_fields = ("hidden_dropout_prob",)


class DebertaForQuestionAnswering(QuestionAnsweringHead, DebertaPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = DebertaModel
