"""`SequenceSummary`: one vector per sequence, as XLNet, XLM, GPT and ELECTRA heads compute it.

Configured by the reference's config fields: `summary_type` ("first", "last", "mean",
"cls_index"), `summary_use_proj` (a `summary` linear layer, to `num_labels` outputs with
`summary_proj_to_labels`, else `hidden_size`), `summary_activation` (any activation name),
`summary_first_dropout` / `summary_last_dropout`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.activations import get_activation

_TYPES = ("first", "last", "mean", "cls_index")


class SequenceSummary(nn.Module):
    """Pick or pool a vector from `[batch, length, hidden]`, then project and activate."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.summary_type = getattr(config, "summary_type", "last")
        if self.summary_type not in _TYPES:
            raise ConfigError(
                f"summary_type {self.summary_type!r} is not supported; use one of "
                f"{', '.join(_TYPES)}."
            )
        self.summary: nn.Module = nn.Identity()
        if getattr(config, "summary_use_proj", False):
            to_labels = getattr(config, "summary_proj_to_labels", False) and config.num_labels > 0
            outputs = config.num_labels if to_labels else config.hidden_size
            self.summary = nn.Linear(config.hidden_size, outputs)
        activation = getattr(config, "summary_activation", None)
        self.activation: nn.Module = get_activation(activation) if activation else nn.Identity()
        first = getattr(config, "summary_first_dropout", 0.0) or 0.0
        last = getattr(config, "summary_last_dropout", 0.0) or 0.0
        self.first_dropout: nn.Module = nn.Dropout(first) if first > 0 else nn.Identity()
        self.last_dropout: nn.Module = nn.Dropout(last) if last > 0 else nn.Identity()

    def forward(
        self, hidden_states: torch.Tensor, cls_index: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.summary_type == "first":
            output = hidden_states[:, 0]
        elif self.summary_type == "last":
            output = hidden_states[:, -1]
        elif self.summary_type == "mean":
            output = hidden_states.mean(dim=1)
        else:  # cls_index: the given position per sequence (default: the last)
            batch, length = hidden_states.shape[:2]
            if cls_index is None:
                cls_index = torch.full((batch,), length - 1, device=hidden_states.device)
            index = cls_index.reshape(batch, 1, 1).expand(-1, 1, hidden_states.shape[-1])
            output = hidden_states.gather(1, index.long()).squeeze(1)
        output = self.first_dropout(output)
        return self.last_dropout(self.activation(self.summary(output)))


class SummaryChoiceHead:
    """Mixed in before `MultipleChoiceHead`: each candidate scored from its `sequence_summary`
    (ELECTRA, ConvBERT, RoFormer: no pooler, no dropout of the head's own)."""

    head_input: ClassVar[str] = "sequence"
    dropout_fields: ClassVar[tuple[str, ...] | None] = None

    def build_head(self, config: Any) -> None:
        self.sequence_summary = SequenceSummary(config)
        super().build_head(config)  # type: ignore[misc]

    def head_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.sequence_summary(features)
