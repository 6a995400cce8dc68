"""RoFormer in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

RoFormer is BERT without position embeddings: self-attention rotates each query and key pair of
channels `(2i, 2i+1)` by an angle proportional to the token's position (rotary position
embeddings, RoPE), so attention scores depend on relative positions. The sin/cos table is
`encoder.embed_positions.weight` (fixed, saved in checkpoints); `rotary_value` also rotates the
values. Embeddings may be narrower than the layers (`embedding_size`, projected by
`embeddings_project`). The rest is the core's post-norm tree and heads. Read top to bottom: the
rotary table and rotation, embeddings, the attention that rotates, the layer and encoder (which
hand the rotation to every layer), the heads' layers, `RoFormerModel`, then one class per head.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import (
    multi_head_context,
)
from tfx_core.modeling.torch.blocks.tied_lm_heads import FirstTokenClassifier
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
from tfx_core.modeling.torch.summary import SummaryChoiceHead
from tfx_plugin_roformer.configuration_roformer import RoFormerConfig

#: `(sin, cos)`, each `[length, head_dim]` with every angle repeated for its channel pair
Rotary = tuple[torch.Tensor, torch.Tensor]


def sinusoidal_table(positions: int, dim: int) -> torch.Tensor:
    """`[positions, dim]`: sin of the angles in the first half, cos in the second (not interleaved)."""
    position = torch.arange(positions, dtype=torch.float64)[:, None]
    angles = position / torch.pow(10000.0, torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    half = (dim + 1) // 2
    table = torch.empty(positions, dim, dtype=torch.float64)
    table[:, :half] = torch.sin(angles)
    table[:, half:] = torch.cos(angles[:, : dim - half])
    return table.float()


def rotate(x: torch.Tensor, rotary: Rotary) -> torch.Tensor:
    """Rotate channel pairs `(2i, 2i+1)` of `[batch, heads, length, dim]` by the table's angles."""
    sin, cos = rotary
    pairs = torch.stack([-x[..., 1::2], x[..., 0::2]], dim=-1).reshape_as(x)
    return x * cos + pairs * sin


class RoFormerSinusoidalPositionalEmbedding(nn.Embedding):
    """The fixed sin/cos table (`[max_position_embeddings, head_dim]`, not trained)."""

    def __init__(self, num_positions: int, embedding_dim: int) -> None:
        super().__init__(num_positions, embedding_dim)
        self.weight.requires_grad_(False)

    def rotary(self, start: int, length: int) -> Rotary:
        """The `(sin, cos)` of positions `start ... start + length - 1`."""
        if start + length > self.num_embeddings:
            raise ConfigError(
                f"The input has {start + length} positions but this model handles at most "
                f"{self.num_embeddings} (max_position_embeddings): truncate it "
                "(e.g. tokenizer(..., truncation=True))."
            )
        sin, cos = self.weight[start : start + length].chunk(2, dim=-1)
        return sin.repeat_interleave(2, dim=-1), cos.repeat_interleave(2, dim=-1)


class RoFormerEmbeddings(nn.Module):
    """Word + token-type embeddings of width `embedding_size`, layer norm, dropout (no positions)."""

    def __init__(self, config: RoFormerConfig) -> None:
        super().__init__()
        width = config.embedding_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, width, padding_idx=config.pad_token_id
        )
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, width)
        self.LayerNorm = nn.LayerNorm(width, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,  # positions enter through the rotation
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if token_type_ids is None:
            embeddings = inputs_embeds + self.token_type_embeddings.weight[0]
        else:
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings) if self.training else embeddings


@trusted_forward
class RoFormerSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention whose queries and keys (and values with `rotary_value`) rotate."""

    def __init__(self, config: RoFormerConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.rotary_value = config.rotary_value

    def forward(
        self,
        hidden_states: torch.Tensor,
        rotary: Rotary,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        heads = self.num_attention_heads
        # one product for the three projections at inference, else the modules in turn
        query, key, value = self.projections.heads(hidden_states, heads)
        query, key = rotate(query, rotary), rotate(key, rotary)
        if self.rotary_value:
            value = rotate(value, rotary)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        return multi_head_context(
            query,
            key,
            value,
            bias=bias,
            is_causal=is_causal,
            dropout_p=self.dropout_p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )


class RoFormerSelfOutput(blocks.SelfOutput):
    """Attention output projection (`dense`), dropout, residual add and `LayerNorm`."""


@trusted_forward
class RoFormerAttention(blocks.Attention):
    """`self` (rotary attention) and `output` (projection + residual + norm)."""

    self_class = RoFormerSelfAttention
    output_class = RoFormerSelfOutput

    def forward(
        self,
        hidden_states: torch.Tensor,
        rotary: Rotary,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(
            hidden_states,
            rotary,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            implementation,
        )
        return self.output(context, hidden_states), weights


class RoFormerIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class RoFormerOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


@trusted_forward
class RoFormerLayer(blocks.EncoderLayer):
    """One post-norm layer: rotary `attention`, then `intermediate` and `output`."""

    attention_class = RoFormerAttention
    intermediate_class = RoFormerIntermediate
    output_class = RoFormerOutput
    lean_layout = None  # the core's lean stack has no rotation; this layer runs its modules

    def forward(
        self,
        hidden_states: torch.Tensor,
        rotary: Rotary,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states,
            rotary,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            implementation,
        )
        return self.output(self.intermediate(attended), attended), weights


@trusted_forward
class RoFormerEncoder(nn.Module):
    """`embed_positions` (the rotary table) and the `layer`s, each given the positions' rotation."""

    def __init__(self, config: RoFormerConfig) -> None:
        super().__init__()
        head_dim = config.hidden_size // config.num_attention_heads
        self.embed_positions = RoFormerSinusoidalPositionalEmbedding(
            config.max_position_embeddings, head_dim
        )
        self.layer = nn.ModuleList(
            RoFormerLayer(config, i) for i in range(config.num_hidden_layers)
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
        past = cache.get_seq_length() if cache is not None else 0
        sin, cos = self.embed_positions.rotary(past, hidden_states.shape[1])
        rotary = (sin.to(hidden_states.dtype), cos.to(hidden_states.dtype))
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_weights = () if output_attentions else None
        for i, layer in enumerate(self.layer):
            hidden_states, weights = layer(
                hidden_states,
                rotary,
                bias,
                is_causal,
                cache,
                head_mask[i] if head_mask is not None else None,
                output_attentions,
                implementation,
            )
            if all_hidden is not None:
                all_hidden += (hidden_states,)
            if all_weights is not None:
                all_weights += (weights,)
        return hidden_states, all_hidden, all_weights


class RoFormerLMPredictionHead(blocks.LMPredictionHead):
    """`transform` to `embedding_size`, then `decoder` (tied; bias shared with `bias`)."""

    def __init__(self, config: RoFormerConfig) -> None:
        super().__init__(config, width=config.embedding_size)


class RoFormerOnlyMLMHead(nn.Module):
    def __init__(self, config: RoFormerConfig) -> None:
        super().__init__()
        self.predictions = RoFormerLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


class RoFormerClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the first token: dropout, dense, `hidden_act`, dropout, `out_proj`."""

    def __init__(self, config: RoFormerConfig) -> None:
        super().__init__(config)
        self.activation_fn = activation_fn(config.hidden_act)


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "roformer.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}


class RoFormerPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every RoFormer class."""

    config_class = RoFormerConfig
    base_model_prefix = "roformer"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RoFormerSinusoidalPositionalEmbedding):
            module.weight.data.copy_(sinusoidal_table(*module.weight.shape))
        elif isinstance(module, RoFormerLMPredictionHead):
            module.bias.data.zero_()


class RoFormerModel(blocks.EncoderModel, RoFormerPreTrainedModel):
    """Embeddings, `embeddings_project` when `embedding_size != hidden_size`, the encoder.

    No pooler; with `config.is_decoder` the attention is causal and a KV cache can be used.
    """

    embeddings_class = RoFormerEmbeddings
    encoder_class = RoFormerEncoder
    pooler_class = None
    project_embeddings = True


class RoFormerForMaskedLM(MaskedLMHead, RoFormerPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`); label -100 is ignored."""

    base_model_class = RoFormerModel
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: RoFormerConfig) -> None:
        self.cls = RoFormerOnlyMLMHead(config)


class RoFormerForCausalLM(GenerationMixin, CausalLMHead, RoFormerPreTrainedModel):
    """Left-to-right language modelling with a causal RoFormer (`is_decoder=True`); `generate`."""

    base_model_class = RoFormerModel
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    build_head = RoFormerForMaskedLM.build_head
    output_embeddings_attribute = "cls.predictions.decoder"

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "RoFormerForCausalLM generates left to right only with a causal model: load it "
                "with is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )


class RoFormerForSequenceClassification(
    FirstTokenClassifier, SequenceClassificationHead, RoFormerPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through `RoFormerClassificationHead`."""

    base_model_class = RoFormerModel
    classification_head_class = RoFormerClassificationHead


class RoFormerForTokenClassification(TokenClassificationHead, RoFormerPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = RoFormerModel


class RoFormerForQuestionAnswering(QuestionAnsweringHead, RoFormerPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = RoFormerModel


class RoFormerForMultipleChoice(SummaryChoiceHead, MultipleChoiceHead, RoFormerPreTrainedModel):
    """Scores each candidate from its `SequenceSummary` (the config's `summary_*` fields)."""

    base_model_class = RoFormerModel
