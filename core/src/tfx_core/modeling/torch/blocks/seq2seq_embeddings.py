"""Token and position embeddings of the BART-family encoder-decoders.

- `ScaledEmbedding`: token embeddings times `embed_scale` (sqrt(d_model) with `scale_embedding`).
- `LearnedPositions`: a learned table read at `position + offset` (BART and mBART: offset 2, the
  fairseq padding hack; Blenderbot: 0).
- `SinusoidalPositions`: a fixed sin/cos table stored like the reference's (Marian, Pegasus:
  `sin` in the first half of the features, `cos` in the second), not trained.
- `FairseqSinusoidalPositions`: fairseq's fixed table, not saved, grown on demand, read at
  positions counted past the padding id (M2M100, Speech2Text).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.lean import trusted_forward

__all__ = [
    "FairseqSinusoidalPositions",
    "LearnedPositions",
    "ScaledEmbedding",
    "SinusoidalPositions",
    "fairseq_sinusoidal_table",
    "sinusoidal_table",
]


@trusted_forward
class ScaledEmbedding(nn.Embedding):
    """`nn.Embedding` whose output is multiplied by `embed_scale`."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        embed_scale: float = 1.0,
    ) -> None:
        super().__init__(num_embeddings, embedding_dim, padding_idx)
        self.embed_scale = embed_scale

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        embedded = super().forward(input_ids)
        return embedded if self.embed_scale == 1.0 else embedded * self.embed_scale


@trusted_forward
class LearnedPositions(nn.Embedding):
    """Learned absolute positions; `forward(positions)` reads row `position + offset`."""

    offset: ClassVar[int] = 2

    def __init__(self, num_positions: int, embedding_dim: int) -> None:
        super().__init__(num_positions + self.offset, embedding_dim)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        return super().forward(positions + self.offset if self.offset else positions)


def sinusoidal_table(num_positions: int, dim: int) -> torch.Tensor:
    """`[num_positions, dim]`: sin of each frequency in the first half, cos in the second."""
    position = torch.arange(num_positions, dtype=torch.float64)[:, None]
    frequency = torch.tensor(
        [1.0 / math.pow(10000, 2 * (j // 2) / dim) for j in range(dim)], dtype=torch.float64
    )
    angles = position * frequency[None, :]
    half = dim // 2 + dim % 2
    table = torch.zeros(num_positions, dim, dtype=torch.float64)
    table[:, :half] = torch.sin(angles[:, 0::2])
    table[:, half:] = torch.cos(angles[:, 1::2])
    return table.float()


@trusted_forward
class SinusoidalPositions(nn.Embedding):
    """Fixed sinusoidal positions (a frozen `weight`, saved like the reference saves it)."""

    offset: ClassVar[int] = 0

    def __init__(self, num_positions: int, embedding_dim: int) -> None:
        super().__init__(num_positions + self.offset, embedding_dim)
        self.weight.requires_grad_(False)
        self.reset_table()

    def reset_table(self) -> None:
        with torch.no_grad():
            table = sinusoidal_table(*self.weight.shape)
            self.weight.copy_(table.to(self.weight.dtype))

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        return super().forward(positions + self.offset if self.offset else positions)


def fairseq_sinusoidal_table(rows: int, dim: int, padding_idx: int | None) -> torch.Tensor:
    """`[rows, dim]`: sin(position * f_i) in the first half, cos in the second, with
    f_i = 10000 ** (-i / (dim/2 - 1)); a zero column for odd `dim`, a zero padding row."""
    half = dim // 2
    frequencies = torch.exp(torch.arange(half).float() * -(math.log(10000) / (half - 1)))
    angles = torch.arange(rows).float()[:, None] * frequencies[None, :]
    table = torch.cat([angles.sin(), angles.cos()], dim=1)
    if dim % 2:
        table = torch.cat([table, torch.zeros(rows, 1)], dim=1)
    if padding_idx is not None:
        table[padding_idx] = 0
    return table


class FairseqSinusoidalPositions(nn.Module):
    """The fixed table (a non-saved buffer `weights`, grown on demand), read by position id."""

    offset: ClassVar[int] = 2

    def __init__(
        self, num_positions: int, embedding_dim: int, padding_idx: int | None = None
    ) -> None:
        super().__init__()
        self.embedding_dim, self.padding_idx = embedding_dim, padding_idx
        table = fairseq_sinusoidal_table(num_positions + self.offset, embedding_dim, padding_idx)
        self.register_buffer("weights", table, persistent=False)

    def position_ids(self, ids: torch.Tensor, past_length: int = 0) -> torch.Tensor:
        """Entries other than `padding_idx` count from `padding_idx + 1` (after `past_length`
        cached ones); `padding_idx` entries stay `padding_idx`."""
        real = ids.ne(self.padding_idx).int()
        return ((torch.cumsum(real, dim=1) + past_length) * real).long() + self.padding_idx

    def forward(self, position_ids: torch.Tensor) -> torch.Tensor:
        needed = int(position_ids.max()) + 1 if position_ids.numel() else 0
        if needed > self.weights.shape[0]:
            table = fairseq_sinusoidal_table(
                needed + self.offset, self.embedding_dim, self.padding_idx
            )
            self.weights = table.to(self.weights.device, self.weights.dtype)
        return self.weights[position_ids]
