"""Image patches for vision transformers: the patch projection and position-table resizing."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError


def _pair(value: Any) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)  # type: ignore[return-value]


def patch_grid_shape(config: Any) -> tuple[int, int]:
    """(rows, columns) of patches in a `config.image_size` image."""
    (height, width), (rows, cols) = _pair(config.image_size), _pair(config.patch_size)
    return height // rows, width // cols


class PatchEmbeddings(nn.Module):
    """`pixel_values [batch, channels, height, width]` -> `[batch, patches, hidden]` through a
    strided convolution named `projection` (the ViT / DeiT / BEiT checkpoint name)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.image_size = _pair(config.image_size)
        self.patch_size = _pair(config.patch_size)
        self.num_channels = config.num_channels
        self.grid = patch_grid_shape(config)
        self.num_patches = self.grid[0] * self.grid[1]
        self.projection = nn.Conv2d(
            config.num_channels,
            config.hidden_size,
            kernel_size=self.patch_size,
            stride=self.patch_size,
        )

    def forward(
        self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False
    ) -> torch.Tensor:
        if pixel_values.dim() != 4 or pixel_values.shape[1] != self.num_channels:
            raise ConfigError(
                f"pixel_values must be [batch, {self.num_channels}, height, width], got "
                f"{tuple(pixel_values.shape)}. Prepare images with the model's image processor."
            )
        size = tuple(pixel_values.shape[-2:])
        if not interpolate_pos_encoding and size != self.image_size:
            raise ConfigError(
                f"Input image size {size} does not match the model's {self.image_size}: resize "
                "the images (the image processor does) or pass interpolate_pos_encoding=True."
            )
        weight = self.projection.weight
        return self.projection(pixel_values.to(weight.dtype)).flatten(2).transpose(1, 2)


def interpolate_positions(
    table: torch.Tensor, extra_tokens: int, height: int, width: int, patch_size: int
) -> torch.Tensor:
    """A `[1, extra + patches, dim]` position table resized (bicubic) for a height x width image.

    The first `extra_tokens` rows (class / distillation tokens) are kept as they are; the patch
    rows are treated as a square grid and resized to the image's patch grid.
    """
    positions = table.shape[1] - extra_tokens
    new_height, new_width = height // patch_size, width // patch_size
    if new_height * new_width == positions and height == width:
        return table
    side = int(positions**0.5)
    dim = table.shape[-1]
    grid = table[:, extra_tokens:].reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = nn.functional.interpolate(
        grid, size=(new_height, new_width), mode="bicubic", align_corners=False
    )
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat((table[:, :extra_tokens], grid), dim=1)
