"""What `generate(..., return_dict_in_generate=True)` returns (the reference's field names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from tfx_core.modeling.outputs import ModelOutput

__all__ = [
    "GenerateBeamDecoderOnlyOutput",
    "GenerateBeamEncoderDecoderOutput",
    "GenerateDecoderOnlyOutput",
    "GenerateEncoderDecoderOutput",
]


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


@dataclass(repr=False, eq=False)
class GenerateEncoderDecoderOutput(ModelOutput):
    """Greedy or sampled sequences of an encoder-decoder model (decoder ids only)."""

    sequences: torch.LongTensor | None = None
    scores: tuple[torch.FloatTensor, ...] | None = None
    logits: tuple[torch.FloatTensor, ...] | None = None
    encoder_attentions: tuple[torch.FloatTensor, ...] | None = None
    encoder_hidden_states: tuple[torch.FloatTensor, ...] | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    decoder_hidden_states: tuple | None = None
    past_key_values: Any = None


@dataclass(repr=False, eq=False)
class GenerateBeamEncoderDecoderOutput(ModelOutput):
    """Beam search results of an encoder-decoder model."""

    sequences: torch.LongTensor | None = None
    sequences_scores: torch.FloatTensor | None = None
    scores: tuple[torch.FloatTensor, ...] | None = None
    logits: tuple[torch.FloatTensor, ...] | None = None
    beam_indices: torch.LongTensor | None = None
    encoder_attentions: tuple[torch.FloatTensor, ...] | None = None
    encoder_hidden_states: tuple[torch.FloatTensor, ...] | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    decoder_hidden_states: tuple | None = None
    past_key_values: Any = None
