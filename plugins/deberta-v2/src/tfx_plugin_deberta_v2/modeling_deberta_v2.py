"""DeBERTa-v2 and v3 in PyTorch, with the reference's class and parameter names so Hub
checkpoints load.

DeBERTa-v2 is a BERT-style post-norm encoder whose attention is *disentangled*: besides
query . key, each head scores query . (projected relative-position embedding) (`c2p`) and
key . (projected relative-position embedding) (`p2c`). The relative embeddings
(`encoder.rel_embeddings`, optionally layer-normed: `norm_rel_ebd`) are shared by every layer;
distances are log-bucketed (`position_buckets`), and with `share_att_key` (v3) the positions
are projected by the layer's own `query_proj` / `key_proj`. v2 adds a convolution over the
embeddings after the first layer (`conv_kernel_size`). The relative-position math, the masked
embeddings and the context pooler are the core's (`blocks.disentangled`); the attention output,
feed-forward and their norms are the core's standard blocks. Read top to bottom: embeddings,
attention, layer, the conv layer, encoder, `DebertaV2Model`, then one class per task head.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.disentangled import (
    ContextPooler,
    MaskedEmbeddings,
    disentangled_scores,
    position_heads,
    relative_positions,
    relative_rows,
    scale_factor,
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
from tfx_core.modeling.torch.blocks.functional import (
    multi_head_context,
)
from tfx_core.modeling.torch.heads import (
    MultipleChoiceHead,
    QuestionAnsweringHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.projections import FusedProjections
from tfx_plugin_deberta_v2.configuration_deberta_v2 import DebertaV2Config


class DebertaV2Embeddings(MaskedEmbeddings):
    """Word (+ position if `position_biased_input`) (+ token type) embeddings, `embed_proj`
    when `embedding_size` differs, `LayerNorm`, padding zeroed, dropout."""


class DisentangledSelfAttention(nn.Module):
    """`query_proj`, `key_proj`, `value_proj` and, unless `share_att_key`, `pos_key_proj`
    (c2p) and `pos_query_proj` (p2c) for the relative embeddings."""

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.num_attention_heads = heads = config.num_attention_heads
        head_size = getattr(config, "attention_head_size", None)
        self.attention_head_size = head_size or config.hidden_size // heads
        width = heads * self.attention_head_size
        self.query_proj = nn.Linear(config.hidden_size, width)
        self.key_proj = nn.Linear(config.hidden_size, width)
        self.value_proj = nn.Linear(config.hidden_size, width)
        self.share_att_key = config.option("share_att_key")
        self.pos_att_type = config.pos_att_type
        self.relative_attention = config.relative_attention
        if self.relative_attention:
            self.pos_dropout = nn.Dropout(config.hidden_dropout_prob)
            if not self.share_att_key:
                if "c2p" in self.pos_att_type:
                    self.pos_key_proj = nn.Linear(config.hidden_size, width)
                if "p2c" in self.pos_att_type:
                    self.pos_query_proj = nn.Linear(config.hidden_size, width)
        self.dropout_p = config.attention_probs_dropout_prob
        self.scale = (self.attention_head_size * scale_factor(self.pos_att_type)) ** -0.5
        self.projections = FusedProjections(self, ("query_proj", "key_proj", "value_proj"))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        relative: Relative | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        heads = self.num_attention_heads
        # one product for the three projections at inference, else the modules in turn
        query, key, value = self.projections.heads(hidden_states, heads)
        if self.relative_attention and relative is not None:
            scores = self.relative_scores(query, key, relative)
            if scores is not None:
                scores = scores * self.scale
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
            project = self.key_proj if self.share_att_key else self.pos_key_proj
            position_keys = position_heads(project(table), heads)
        if "p2c" in self.pos_att_type:
            project = self.query_proj if self.share_att_key else self.pos_query_proj
            position_queries = position_heads(project(table), heads)
        return disentangled_scores(query, key, relative.rows, position_keys, position_queries)


class DebertaV2SelfOutput(blocks.SelfOutput):
    """Attention output projection (`dense`), dropout, residual add and `LayerNorm`."""


class DebertaV2Attention(DisentangledAttention):
    """`self` (disentangled attention) and `output` (projection + residual + norm)."""

    self_attention_class = DisentangledSelfAttention
    output_class = DebertaV2SelfOutput


class DebertaV2Intermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class DebertaV2Output(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


class DebertaV2Layer(DisentangledLayer):
    """One post-norm layer: `attention`, then `intermediate` and `output` (feed-forward)."""

    attention_class = DebertaV2Attention
    intermediate_class = DebertaV2Intermediate
    output_class = DebertaV2Output


class ConvLayer(nn.Module):
    """v2's convolution over the embeddings, added to the first layer's output and normed."""

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        kernel = config.option("conv_kernel_size")
        self.conv = nn.Conv1d(
            config.hidden_size,
            config.hidden_size,
            kernel,
            padding=(kernel - 1) // 2,
            groups=config.option("conv_groups"),
        )
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.conv_act = activation_fn(config.option("conv_act"))

    def forward(
        self, hidden_states: torch.Tensor, residual: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        out = self.conv(hidden_states.transpose(1, 2)).transpose(1, 2)
        keep = mask.unsqueeze(-1).to(out.dtype) if mask is not None else None
        if keep is not None:
            out = out * keep
        out = self.conv_act(self.dropout(out))
        out = self.LayerNorm(residual + out)
        return out * keep if keep is not None else out


class DebertaV2Encoder(nn.Module):
    """`layer`s sharing `rel_embeddings` (normed by `LayerNorm` with `norm_rel_ebd`), and the
    optional `conv` after the first layer."""

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.layer = nn.ModuleList(DebertaV2Layer(config) for _ in range(config.num_hidden_layers))
        self.relative_attention = config.relative_attention
        self.max_relative_positions, self.position_buckets = table_span(config)
        if self.relative_attention:
            self.span = (
                self.position_buckets if self.position_buckets > 0 else self.max_relative_positions
            )
            self.rel_embeddings = nn.Embedding(2 * self.span, config.hidden_size)
        norms = [x.strip() for x in str(config.option("norm_rel_ebd")).lower().split("|")]
        if "layer_norm" in norms:
            self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.conv = ConvLayer(config) if config.option("conv_kernel_size") > 0 else None

    def relative(self, length: int, device: torch.device) -> Relative | None:
        """The table rows this length reads, normalized, and where each score reads them."""
        if not self.relative_attention:
            return None
        distances = relative_positions(
            length,
            length,
            buckets=self.position_buckets,
            max_position=self.max_relative_positions,
            device=device,
        )
        rows = relative_rows(distances, self.span)
        table = self.rel_embeddings.weight[rows.start : rows.stop]
        norm = self.__dict__["_modules"].get("LayerNorm")
        return Relative(rows, norm(table) if norm is not None else table)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        relative = self.relative(hidden_states.shape[1], hidden_states.device)
        conv = self.conv
        return run_layers(
            self.layer,
            hidden_states,
            bias,
            relative,
            output_attentions,
            output_hidden_states,
            implementation,
            after_first=None
            if conv is None
            else lambda embedded, hidden: conv(embedded, hidden, mask),
        )


# ---------------------------------------------------------------------------- models
class DebertaV2PreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every DeBERTa-v2 class."""

    config_class = DebertaV2Config
    base_model_prefix = "deberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"(^|\.)embeddings\.position_ids$",
        r"(^|\.)mask_predictions\.",
    ]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, (WordEmbeddingPrediction, blocks.LMPredictionHead)):
            module.bias.data.zero_()


class DebertaV2Model(DisentangledModel, DebertaV2PreTrainedModel):
    """`embeddings` and the disentangled-attention `encoder` (no pooler)."""

    embeddings_class = DebertaV2Embeddings
    encoder_class = DebertaV2Encoder
    encoder_takes_mask = True


class DebertaV2ForMaskedLM(DisentangledMaskedLMHead, DebertaV2PreTrainedModel):
    """Predicts masked tokens (`fill-mask`); `config.legacy` picks the head layout."""

    base_model_class = DebertaV2Model


class DebertaV2ForSequenceClassification(
    DisentangledSequenceClassificationHead, DebertaV2PreTrainedModel
):
    """Classification or regression of a text (pair): `pooler` (first token), `classifier`."""

    base_model_class = DebertaV2Model


class DebertaV2ForTokenClassification(TokenClassificationHead, DebertaV2PreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = DebertaV2Model
    dropout_fields = ("hidden_dropout_prob",)


class DebertaV2ForQuestionAnswering(QuestionAnsweringHead, DebertaV2PreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = DebertaV2Model


class DebertaV2ForMultipleChoice(MultipleChoiceHead, DebertaV2PreTrainedModel):
    """Scores each of `num_choices` text pairs: `pooler` (first token), `classifier`."""

    base_model_class = DebertaV2Model
    head_input = "sequence"
    dropout_fields = ("cls_dropout", "hidden_dropout_prob")

    def build_head(self, config: DebertaV2Config) -> None:
        self.pooler = ContextPooler(config)
        super().build_head(config)

    def head_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.pooler(features)
