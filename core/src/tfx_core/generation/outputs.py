"""What `generate(..., return_dict_in_generate=True)` returns (the reference's field names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from tfx_core.modeling.outputs import ModelOutput

__all__ = ["GenerateBeamDecoderOnlyOutput", "GenerateDecoderOnlyOutput"]


@dataclass(repr=False, eq=False)
class GenerateDecoderOnlyOutput(ModelOutput):
    """Greedy or sampled sequences; `scores` are the processed scores of each step."""

    sequences: torch.LongTensor | None = None
    scores: tuple[torch.FloatTensor, ...] | None = None
    logits: tuple[torch.FloatTensor, ...] | None = None
    past_key_values: Any = None


@dataclass(repr=False, eq=False)
class GenerateBeamDecoderOnlyOutput(ModelOutput):
    """Beam search results; `sequences_scores` are the length-normalised final beam scores."""

    sequences: torch.LongTensor | None = None
    sequences_scores: torch.FloatTensor | None = None
    scores: tuple[torch.FloatTensor, ...] | None = None
    logits: tuple[torch.FloatTensor, ...] | None = None
    beam_indices: torch.LongTensor | None = None
    past_key_values: Any = None
