"""Token and position embeddings of the BART-family encoder-decoders.

- `ScaledEmbedding`: token embeddings times `embed_scale` (sqrt(d_model) with `scale_embedding`).
- `LearnedPositions`: a learned table read at `position + offset` (BART and mBART: offset 2, the
  fairseq padding hack; Blenderbot: 0).
- `SinusoidalPositions`: a fixed sin/cos table stored like the reference's (Marian, Pegasus:
  `sin` in the first half of the features, `cos` in the second), not trained.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.lean import trusted_forward

__all__ = ["LearnedPositions", "ScaledEmbedding", "SinusoidalPositions", "sinusoidal_table"]


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
