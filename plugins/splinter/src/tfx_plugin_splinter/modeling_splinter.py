"""Splinter in PyTorch: BERT's encoder with the question-aware span selection (QASS) head.

Splinter (Ram et al., 2021) is pre-trained to find, for each `[QUESTION]` token that replaced a
recurring span, where that span occurs; fine-tuned, the same head answers questions. The head
(`splinter_qass`) transforms the `[QUESTION]` representations and every position's, and scores
start/end as bilinear products between them. The encoder is the core's standard post-norm tree
under Splinter's names; it has no pooler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput, QuestionAnsweringModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.heads import TaskHead
from tfx_core.modeling.torch.losses import span_loss
from tfx_plugin_splinter.configuration_splinter import SplinterConfig


class SplinterEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings, then layer norm and dropout."""


# The encoder: the core's post-norm tree under Splinter's class names.
class SplinterSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention over `query`, `key`, `value` projections."""


class SplinterSelfOutput(blocks.SelfOutput):
    """Attention output projection (`dense`), dropout, residual add and `LayerNorm`."""


class SplinterAttention(blocks.Attention):
    self_class = SplinterSelfAttention
    output_class = SplinterSelfOutput


class SplinterIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class SplinterOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


class SplinterLayer(blocks.EncoderLayer):
    attention_class = SplinterAttention
    intermediate_class = SplinterIntermediate
    output_class = SplinterOutput


class SplinterEncoder(blocks.Encoder):
    layer_class = SplinterLayer


# ---------------------------------------------------------------------------- the QASS head
class SplinterFullyConnectedLayer(nn.Module):
    """dense -> gelu -> `LayerNorm` (eps 1e-5, as the reference)."""

    def __init__(self, input_dim: int, output_dim: int, hidden_act: str = "gelu") -> None:
        super().__init__()
        self.dense = nn.Linear(input_dim, output_dim)
        self.act_fn = activation_fn(hidden_act)
        self.LayerNorm = nn.LayerNorm(output_dim)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.act_fn(self.dense(inputs)))


class QuestionAwareSpanSelectionHead(nn.Module):
    """Start/end logits of every position for each question position: `[batch, questions, length]`."""

    def __init__(self, config: SplinterConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.query_start_transform = SplinterFullyConnectedLayer(hidden, hidden)
        self.query_end_transform = SplinterFullyConnectedLayer(hidden, hidden)
        self.start_transform = SplinterFullyConnectedLayer(hidden, hidden)
        self.end_transform = SplinterFullyConnectedLayer(hidden, hidden)
        self.start_classifier = nn.Linear(hidden, hidden, bias=False)
        self.end_classifier = nn.Linear(hidden, hidden, bias=False)

    def forward(
        self, inputs: torch.Tensor, positions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        index = positions.unsqueeze(-1).expand(-1, -1, inputs.shape[-1])
        questions = torch.gather(inputs, 1, index)
        start_queries = self.start_classifier(self.query_start_transform(questions))
        end_queries = self.end_classifier(self.query_end_transform(questions))
        start_logits = start_queries @ self.start_transform(inputs).transpose(1, 2)
        end_logits = end_queries @ self.end_transform(inputs).transpose(1, 2)
        return start_logits, end_logits


@dataclass(repr=False, eq=False)
class SplinterForPreTrainingOutput(ModelOutput):
    loss: Any = None
    start_logits: Any = None
    end_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
class SplinterPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every Splinter class (weight init is the core's default)."""

    config_class = SplinterConfig
    base_model_prefix = "splinter"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class SplinterModel(blocks.EncoderModel, SplinterPreTrainedModel):
    """The encoder: `embeddings` and `encoder` (no pooler)."""

    embeddings_class = SplinterEmbeddings
    encoder_class = SplinterEncoder
    pooler_class = None


class _SpanSelection(TaskHead, SplinterPreTrainedModel):
    """The encoder and `splinter_qass`; logits of padded positions are the dtype's minimum."""

    base_model_class = SplinterModel

    def build_head(self, config: SplinterConfig) -> None:
        self.splinter_qass = QuestionAwareSpanSelectionHead(config)
        self.question_token_id = config.question_token_id

    def span_logits(
        self, args: tuple, kwargs: dict[str, Any], positions: torch.Tensor
    ) -> tuple[ModelOutput, torch.Tensor, torch.Tensor]:
        base = self.run_base(args, kwargs, {})
        start, end = self.splinter_qass(base.last_hidden_state, positions)
        mask = args[1] if len(args) > 1 else kwargs.get("attention_mask")
        if mask is not None:  # [batch, length] -> every question's row
            blocked = (1 - mask[:, None].to(start.dtype)) * torch.finfo(start.dtype).min
            start, end = start + blocked, end + blocked
        return base, start, end


class SplinterForQuestionAnswering(_SpanSelection):
    """Extractive QA: start and end logits for the first `[QUESTION]` of each row (or for each
    of `question_positions`, then shaped `[batch, questions, length]`)."""

    output_class = QuestionAnsweringModelOutput

    def forward(
        self,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        question_positions: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        squeeze = question_positions is None
        if squeeze:
            input_ids = args[0] if args else kwargs.get("input_ids")
            if input_ids is not None:
                first = input_ids.eq(self.question_token_id).int().argmax(-1)
            else:  # no ids to find [QUESTION] in: the first token, as the reference
                embeds = kwargs["inputs_embeds"]
                first = torch.zeros(embeds.shape[0], dtype=torch.long, device=embeds.device)
            question_positions = first[:, None]
        base, start, end = self.span_logits(args, kwargs, question_positions)
        if squeeze:
            start, end = start.squeeze(1), end.squeeze(1)
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start, end, start_positions, end_positions)
        return self.finish(return_dict, base, loss=loss, start_logits=start, end_logits=end)


class SplinterForPreTraining(_SpanSelection):
    """Recurring span selection: for each `[QUESTION]` (one per replaced span), where the span
    starts and ends; logits `[batch, questions, length]`, positions padded with `pad_token_id`."""

    output_class = SplinterForPreTrainingOutput

    def forward(
        self,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        question_positions: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        input_ids = args[0] if args else kwargs.get("input_ids")
        if question_positions is None:
            if start_positions is not None and end_positions is not None:
                raise ConfigError("Pass question_positions to compute the pre-training loss.")
            if input_ids is None:
                raise ConfigError("Pass question_positions when giving inputs_embeds.")
            question_positions = self.question_positions(input_ids)
        base, start, end = self.span_logits(args, kwargs, question_positions)
        loss = None
        if start_positions is not None and end_positions is not None:
            length = start.shape[-1]
            targets = (
                p.reshape(-1).clamp(0, max(0, length - 1)) for p in (start_positions, end_positions)
            )
            pad = self.config.pad_token_id
            start_loss, end_loss = (
                F.cross_entropy(logits.reshape(-1, length), target, ignore_index=pad)
                for logits, target in zip((start, end), targets)
            )
            loss = (start_loss + end_loss) / 2
        return self.finish(return_dict, base, loss=loss, start_logits=start, end_logits=end)

    def question_positions(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Each row's `[QUESTION]` positions, left-aligned, padded with `pad_token_id`."""
        is_question = input_ids.eq(self.question_token_id)
        counts = is_question.sum(-1)
        if not bool(counts.any()):
            raise ConfigError(
                f"No [QUESTION] token (id {self.question_token_id}) in input_ids: pass "
                "question_positions, or mark each replaced span with the question token."
            )
        positions = torch.full(
            (input_ids.shape[0], int(counts.max())), self.config.pad_token_id, dtype=torch.long
        ).to(input_ids.device)
        rows, columns = is_question.nonzero(as_tuple=True)
        slots = torch.cumsum(is_question.long(), -1)[rows, columns] - 1
        positions[rows, slots] = columns
        return positions
