"""MPNet in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

MPNet is a BERT-style post-norm encoder with RoBERTa's position numbering (after the padding
id, no token types) and a relative-position bias shared by every layer: a learned scalar per
head and distance bucket (`encoder.relative_attention_bias`, T5's bidirectional log buckets)
added to the attention scores. Its attention names its projections `attn.{q,k,v,o}` and holds
the residual `LayerNorm`; the layer is otherwise BERT's, so it declares a `lean_layout` and the
position bias travels in the attention bias: the core's lean encoder path runs it at
inference. Read top to bottom: embeddings, attention, layer, encoder, `MPNetModel`, then one
class per task head.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.blocks import LeanLayout, LeanPostNormEncoder
from tfx_core.modeling.torch.blocks.functional import (
    multi_head_context,
    residual_norm,
)
from tfx_core.modeling.torch.blocks.tied_lm_heads import (
    FirstTokenClassifier,
    NoPoolerHead,
    TiedDenseLMHead,
)
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.projections import FusedProjections
from tfx_plugin_mpnet.configuration_mpnet import MPNetConfig


class MPNetEmbeddings(blocks.EncoderEmbeddings):
    """Word + position embeddings (positions counted after the padding id), norm, dropout."""

    padding_offset_positions: ClassVar[bool] = True

    def __init__(self, config: MPNetConfig) -> None:
        super().__init__(config)
        del self.token_type_embeddings  # MPNet has no token types

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
        positions = self.position_embeds(input_ids, position_ids, inputs_embeds, past_length)
        embeddings = self.LayerNorm(inputs_embeds + positions)
        return self.dropout(embeddings) if self.training else embeddings


@trusted_forward
class MPNetSelfAttention(nn.Module):
    """`q`, `k`, `v` projections, attention (the bias carries the position bias), `o`."""

    def __init__(self, config: MPNetConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.dropout_p = config.attention_probs_dropout_prob
        self.projections = FusedProjections(self, ("q", "k", "v"))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        heads = self.num_attention_heads
        # one product for the three projections at inference, else the modules in turn
        query, key, value = self.projections.heads(hidden_states, heads)
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
class MPNetAttention(nn.Module):
    """`attn`, then its output `attn.o`, dropout, residual add and `LayerNorm`."""

    def __init__(self, config: MPNetConfig) -> None:
        super().__init__()
        self.attn = MPNetSelfAttention(config)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.attn(
            hidden_states, bias, head_mask, output_attentions, implementation
        )
        dropout = self.dropout if self.training else None
        return residual_norm(context, hidden_states, self.attn.o, self.LayerNorm, dropout), weights


class MPNetIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class MPNetOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


@trusted_forward
class MPNetLayer(nn.Module):
    """One post-norm layer: `attention`, then `intermediate` and `output` (feed-forward)."""

    lean_layout: ClassVar[LeanLayout] = LeanLayout(
        attention="attention.attn",
        heads="num_attention_heads",
        attention_output="attention.attn.o",
        attention_norm="attention.LayerNorm",
        intermediate="intermediate.dense",
        activation="intermediate.intermediate_act_fn",
        output="output.dense",
        output_norm="output.LayerNorm",
    )

    def __init__(self, config: MPNetConfig) -> None:
        super().__init__()
        self.attention = MPNetAttention(config)
        self.intermediate = MPNetIntermediate(config)
        self.output = MPNetOutput(config)

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
            hidden_states, bias, head_mask, output_attentions, implementation
        )
        return self.output(self.intermediate(attended), attended), weights


def relative_position_bucket(
    relative: torch.Tensor, num_buckets: int = 32, max_distance: int = 128
) -> torch.Tensor:
    """T5's bidirectional buckets of `key - query`: half per direction, exact below a quarter,
    log-spaced up to `max_distance`."""
    half = num_buckets // 2
    distance = -relative
    bucket = (distance < 0).long() * half
    distance = distance.abs()
    exact = half // 2
    far = (
        exact
        + (
            torch.log(distance.float() / exact) / math.log(max_distance / exact) * (half - exact)
        ).long()
    )
    far = torch.clamp(far, max=half - 1)
    return bucket + torch.where(distance < exact, distance, far)


@trusted_forward
class MPNetEncoder(LeanPostNormEncoder):
    """`layer`s and the shared `relative_attention_bias`, added to every layer's scores."""

    def __init__(self, config: MPNetConfig) -> None:
        super().__init__()
        self.n_heads = config.num_attention_heads
        self.layer = nn.ModuleList(MPNetLayer(config) for _ in range(config.num_hidden_layers))
        self.relative_attention_bias = nn.Embedding(
            config.relative_attention_num_buckets, self.n_heads
        )

    def position_bias(self, length: int, device: torch.device) -> torch.Tensor:
        """`[1, heads, length, length]` (the reference buckets with 32, whatever the table)."""
        positions = torch.arange(length, device=device)
        buckets = relative_position_bucket(positions[None, :] - positions[:, None])
        return self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

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
        position = self.position_bias(hidden_states.shape[1], hidden_states.device)
        position = position.to(hidden_states.dtype)
        bias = position if bias is None else position + bias
        return super().forward(
            hidden_states,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            output_hidden_states,
            implementation,
        )


class MPNetPooler(blocks.Pooler):
    """tanh(dense(first token)): the summary the multiple-choice head reads."""


class MPNetLMHead(blocks.DenseLMHead):
    """Dense + gelu + `layer_norm`, then `decoder` (tied to the word embeddings, bias shared)."""


class MPNetClassificationHead(blocks.DenseClassificationHead):
    """Dropout, `dense`, tanh, dropout, `out_proj` over the `<s>` token."""


# ---------------------------------------------------------------------------- models


class MPNetPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every MPNet class."""

    config_class = MPNetConfig
    base_model_prefix = "mpnet"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, MPNetLMHead):
            module.bias.data.zero_()


class MPNetModel(blocks.EncoderModel, MPNetPreTrainedModel):
    """`embeddings`, the `encoder` with its position bias, and `pooler` (optional)."""

    embeddings_class = MPNetEmbeddings
    encoder_class = MPNetEncoder
    pooler_class = MPNetPooler

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """The reference's signature (no token types); the core's encoder forward."""
        return super().forward(
            input_ids,
            attention_mask,
            None,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


class MPNetForMaskedLM(TiedDenseLMHead, MaskedLMHead, MPNetPreTrainedModel):
    """Predicts masked tokens (`fill-mask`); label -100 is ignored."""

    base_model_class = MPNetModel
    lm_head_class = MPNetLMHead
    tied_weights: ClassVar[dict[str, str]] = {
        "lm_head.decoder.weight": "mpnet.embeddings.word_embeddings.weight"
    }


class MPNetForSequenceClassification(
    NoPoolerHead, FirstTokenClassifier, SequenceClassificationHead, MPNetPreTrainedModel
):
    """Classification or regression of a text (pair) through `MPNetClassificationHead`."""

    base_model_class = MPNetModel
    classification_head_class = MPNetClassificationHead


class MPNetForTokenClassification(NoPoolerHead, TokenClassificationHead, MPNetPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = MPNetModel
    dropout_fields = ("hidden_dropout_prob",)


class MPNetForQuestionAnswering(NoPoolerHead, QuestionAnsweringHead, MPNetPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = MPNetModel


class MPNetForMultipleChoice(MultipleChoiceHead, MPNetPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = MPNetModel
    dropout_fields = ("hidden_dropout_prob",)
