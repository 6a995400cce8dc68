"""The beam-search SQuAD head of XLNet and XLM (`...ForQuestionAnswering` in those families).

Training (`start_positions` and `end_positions` given): start logits, end logits conditioned
on the true start token, their mean cross-entropy, plus half the binary loss of the
answerability classifier when `cls_index` and `is_impossible` are given. Inference: the
`start_n_top` most likely starts, for each of them the `end_n_top` most likely ends, and the
answerability logit from the probability-weighted start state and the CLS state (the last
token unless `cls_index` says). The "log probs" are softmax probabilities, as the reference's.
Submodule names are the checkpoints': `start_logits.dense`, `end_logits.{dense_0, LayerNorm,
dense_1}`, `answer_class.{dense_0, dense_1}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.heads import TaskHead


@dataclass(repr=False, eq=False)
class SQuADHeadOutput(ModelOutput):
    loss: Any = None
    start_top_log_probs: Any = None
    start_top_index: Any = None
    end_top_log_probs: Any = None
    end_top_index: Any = None
    cls_logits: Any = None


@dataclass(repr=False, eq=False)
class BeamQuestionAnsweringOutput(SQuADHeadOutput):
    hidden_states: Any = None
    attentions: Any = None


def _masked(logits: torch.Tensor, p_mask: torch.Tensor | None) -> torch.Tensor:
    """Positions with `p_mask` 1 get a huge negative logit (fp16: -65500)."""
    if p_mask is None:
        return logits
    fill = 65500 if p_mask.dtype == torch.float16 else 1e30
    return logits * (1 - p_mask) - fill * p_mask


def _gather(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """`hidden[b, positions[b]]` -> `[batch, 1, hidden]`."""
    index = positions[:, None, None].expand(-1, -1, hidden.shape[-1])
    return hidden.gather(-2, index)


class PoolerStartLogits(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, 1)

    def forward(self, hidden: torch.Tensor, p_mask: torch.Tensor | None = None) -> torch.Tensor:
        return _masked(self.dense(hidden).squeeze(-1), p_mask)


class PoolerEndLogits(nn.Module):
    """End logits from each token's state next to the (given or chosen) start token's state."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense_0 = nn.Linear(config.hidden_size * 2, config.hidden_size)
        self.activation = nn.Tanh()
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dense_1 = nn.Linear(config.hidden_size, 1)

    def forward(
        self,
        hidden: torch.Tensor,
        start_states: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        p_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if start_positions is not None:
            start_states = _gather(hidden, start_positions).expand(-1, hidden.shape[-2], -1)
        x = self.activation(self.dense_0(torch.cat([hidden, start_states], dim=-1)))
        return _masked(self.dense_1(self.LayerNorm(x)).squeeze(-1), p_mask)


class PoolerAnswerClass(nn.Module):
    """Is the question answerable? From the start state and the CLS token's state."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense_0 = nn.Linear(config.hidden_size * 2, config.hidden_size)
        self.activation = nn.Tanh()
        self.dense_1 = nn.Linear(config.hidden_size, 1, bias=False)

    def forward(
        self,
        hidden: torch.Tensor,
        start_states: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        cls_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if start_positions is not None:
            start_states = _gather(hidden, start_positions).squeeze(-2)
        if cls_index is not None:
            cls_state = _gather(hidden, cls_index).squeeze(-2)
        else:
            cls_state = hidden[:, -1, :]
        x = self.activation(self.dense_0(torch.cat([start_states, cls_state], dim=-1)))
        return self.dense_1(x).squeeze(-1)


class SQuADHead(nn.Module):
    """Start/end beam search and answerability (config: `start_n_top`, `end_n_top`)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.start_n_top = config.start_n_top
        self.end_n_top = config.end_n_top
        self.start_logits = PoolerStartLogits(config)
        self.end_logits = PoolerEndLogits(config)
        self.answer_class = PoolerAnswerClass(config)

    def forward(
        self,
        hidden: torch.Tensor,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        cls_index: torch.Tensor | None = None,
        is_impossible: torch.Tensor | None = None,
        p_mask: torch.Tensor | None = None,
    ) -> SQuADHeadOutput:
        start_logits = self.start_logits(hidden, p_mask=p_mask)
        if start_positions is not None and end_positions is not None:
            return SQuADHeadOutput(
                loss=self.loss(
                    hidden, start_logits, start_positions, end_positions, cls_index,
                    is_impossible, p_mask,
                )
            )  # fmt: skip
        return self.beam(hidden, start_logits, cls_index, p_mask)

    def loss(
        self,
        hidden: torch.Tensor,
        start_logits: torch.Tensor,
        start_positions: torch.Tensor,
        end_positions: torch.Tensor,
        cls_index: torch.Tensor | None,
        is_impossible: torch.Tensor | None,
        p_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        def flat(x: torch.Tensor | None) -> torch.Tensor | None:
            return x.squeeze(-1) if x is not None and x.dim() > 1 else x

        start, end = flat(start_positions), flat(end_positions)
        cls_index, is_impossible = flat(cls_index), flat(is_impossible)
        end_logits = self.end_logits(hidden, start_positions=start, p_mask=p_mask)
        total = (F.cross_entropy(start_logits, start) + F.cross_entropy(end_logits, end)) / 2
        if cls_index is not None and is_impossible is not None:
            cls_logits = self.answer_class(hidden, start_positions=start, cls_index=cls_index)
            total = total + 0.5 * F.binary_cross_entropy_with_logits(cls_logits, is_impossible)
        return total

    def beam(
        self,
        hidden: torch.Tensor,
        start_logits: torch.Tensor,
        cls_index: torch.Tensor | None,
        p_mask: torch.Tensor | None,
    ) -> SQuADHeadOutput:
        length, width = hidden.shape[1:]
        start_probs = F.softmax(start_logits, dim=-1)
        start_top, start_index = torch.topk(start_probs, self.start_n_top, dim=-1)
        chosen = hidden.gather(-2, start_index[..., None].expand(-1, -1, width))
        chosen = chosen[:, None].expand(-1, length, -1, -1)  # [batch, length, n_top, hidden]
        tokens = hidden[:, :, None].expand_as(chosen)
        mask = p_mask[..., None] if p_mask is not None else None
        end_probs = F.softmax(self.end_logits(tokens, start_states=chosen, p_mask=mask), dim=1)
        end_top, end_index = torch.topk(end_probs, self.end_n_top, dim=1)
        beams = self.start_n_top * self.end_n_top
        weighted_start = torch.einsum("blh,bl->bh", hidden, start_probs)
        return SQuADHeadOutput(
            start_top_log_probs=start_top,
            start_top_index=start_index,
            end_top_log_probs=end_top.reshape(-1, beams),
            end_top_index=end_index.reshape(-1, beams),
            cls_logits=self.answer_class(hidden, start_states=weighted_start, cls_index=cls_index),
        )


class BeamQuestionAnsweringHead(TaskHead):
    """`...ForQuestionAnswering` of XLM / XLNet: the base model, then `qa_outputs` (SQuADHead)."""

    head_input: ClassVar[str] = "sequence"
    dropout_fields = None
    output_class: ClassVar[type[ModelOutput]] = BeamQuestionAnsweringOutput

    def build_head(self, config: Any) -> None:
        self.qa_outputs = SQuADHead(config)

    def forward(
        self,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        is_impossible: torch.Tensor | None = None,
        cls_index: torch.Tensor | None = None,
        p_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        head = self.qa_outputs(
            base.last_hidden_state,
            start_positions=start_positions,
            end_positions=end_positions,
            cls_index=cls_index,
            is_impossible=is_impossible,
            p_mask=p_mask,
        )
        return self.finish(return_dict, base, **{key: head[key] for key in head})
