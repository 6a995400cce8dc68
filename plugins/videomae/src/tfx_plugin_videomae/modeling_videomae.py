"""VideoMAE in PyTorch: a ViT over tubelets (a 3-D convolution over `tubelet_size` frames and a
square of pixels) with a fixed sinusoidal position table, and a classifier on the mean token
(or the first one without mean pooling).

The stack is the core's pre-norm ViT (`blocks.vision_transformer`) under ViT's names, except that the query, key
and value projections have no bias of their own: `q_bias` and `v_bias` are separate parameters
and the key has none, as in the checkpoints.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.blocks.pre_norm_encoder import (
    VIT_NAMES,
    PreNormEncoderLayer,
    QKVProjections,
)
from tfx_core.modeling.torch.blocks.vision_heads import ImageClassificationHead
from tfx_core.modeling.torch.blocks.vision_transformer import (
    VisionEncoder,
    VisionPreTrainedModel,
    VisionTransformerModel,
)
from tfx_plugin_videomae.configuration_videomae import VideoMAEConfig


def sinusoid_table(positions: int, width: int) -> torch.Tensor:
    """`[1, positions, width]`: sin on even channels, cos on odd, wavelengths 10000^(2i/width)."""
    exponents = 2 * (np.arange(width) // 2) / width
    angles = np.arange(positions)[:, None] / np.power(10000, exponents)[None, :]
    angles[:, 0::2], angles[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    return torch.tensor(angles, dtype=torch.float32)[None]


class VideoMAEPatchEmbeddings(nn.Module):
    """`[batch, frames, channels, height, width]` -> tubelet tokens `[batch, patches, hidden]`."""

    def __init__(self, config: VideoMAEConfig) -> None:
        super().__init__()
        size, patch, tubelet = config.image_size, config.patch_size, config.tubelet_size
        self.image_size, self.num_channels = (size, size), config.num_channels
        self.num_patches = (size // patch) ** 2 * (config.num_frames // tubelet)
        self.projection = nn.Conv3d(
            config.num_channels,
            config.hidden_size,
            kernel_size=(tubelet, patch, patch),
            stride=(tubelet, patch, patch),
        )

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if pixel_values.dim() != 5 or pixel_values.shape[2] != self.num_channels:
            raise ConfigError(
                f"pixel_values must be [batch, frames, {self.num_channels}, height, width], got "
                f"{tuple(pixel_values.shape)}. Prepare videos with the model's image processor."
            )
        if tuple(pixel_values.shape[-2:]) != self.image_size:
            raise ConfigError(
                f"Frames are {tuple(pixel_values.shape[-2:])} but the model takes "
                f"{self.image_size}: resize them (the image processor does)."
            )
        weight = self.projection.weight
        tubes = self.projection(pixel_values.permute(0, 2, 1, 3, 4).to(weight.dtype))
        return tubes.flatten(2).transpose(1, 2)


class VideoMAEEmbeddings(nn.Module):
    """Tubelet tokens plus the fixed sinusoidal positions (not a weight of the checkpoint)."""

    def __init__(self, config: VideoMAEConfig) -> None:
        super().__init__()
        self.patch_embeddings = VideoMAEPatchEmbeddings(config)
        table = sinusoid_table(self.patch_embeddings.num_patches, config.hidden_size)
        self.register_buffer("position_embeddings", table, persistent=False)

    def forward(
        self, pixel_values: torch.Tensor, bool_masked_pos: torch.Tensor | None = None
    ) -> torch.Tensor:
        tokens = self.patch_embeddings(pixel_values)
        if tokens.shape[1] != self.position_embeddings.shape[1]:
            raise ConfigError(
                f"The clip gives {tokens.shape[1]} tubelets but the model has "
                f"{self.position_embeddings.shape[1]} positions: pass num_frames frames."
            )
        tokens = tokens + self.position_embeddings.to(tokens.dtype)
        if bool_masked_pos is not None:  # only the visible tubelets go on
            tokens = tokens[~bool_masked_pos].reshape(tokens.shape[0], -1, tokens.shape[-1])
        return tokens


class VideoMAEProjections(QKVProjections):
    """Bias-free query, key and value, plus `q_bias` and `v_bias` (the key gets none)."""

    def __init__(self, names: tuple[str, str, str], hidden: int, bias: bool) -> None:
        super().__init__(names, hidden, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(hidden)) if bias else None
        self.v_bias = nn.Parameter(torch.zeros(hidden)) if bias else None

    def project(
        self, hidden: torch.Tensor, first_rows: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        query_input = hidden if first_rows is None else hidden[:, :first_rows]
        linear = nn.functional.linear
        return (
            linear(query_input, self.query.weight, self.q_bias),
            linear(hidden, self.key.weight),
            linear(hidden, self.value.weight, self.v_bias),
        )


class VideoMAELayer(PreNormEncoderLayer):
    names = VIT_NAMES

    def __init__(self, config: VideoMAEConfig) -> None:
        super().__init__(config)
        names = self.names
        projections = VideoMAEProjections(
            (names.query, names.key, names.value), config.hidden_size, config.qkv_bias
        )
        self.get_submodule("attention").add_module("attention", projections)


class VideoMAEEncoder(VisionEncoder):
    layer_class = VideoMAELayer


class VideoMAEPreTrainedModel(VisionPreTrainedModel):
    config_class = VideoMAEConfig
    base_model_prefix = "videomae"


class VideoMAEModel(VisionTransformerModel, VideoMAEPreTrainedModel):
    """Embeddings and encoder; a final LayerNorm unless the head mean-pools (then the head
    normalises the mean)."""

    family = "VideoMAE"
    embeddings_class = VideoMAEEmbeddings
    encoder_class = VideoMAEEncoder

    def embed(
        self, pixel_values: torch.Tensor, bool_masked_pos: torch.Tensor | None, *_: Any
    ) -> torch.Tensor:
        return self.embeddings(pixel_values, bool_masked_pos)

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        bool_masked_pos: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        """The core's forward with the reference's arguments."""
        return super().forward(
            pixel_values, bool_masked_pos, head_mask, output_attentions, output_hidden_states,
            return_dict=return_dict,
        )  # fmt: skip


class VideoMAEForVideoClassification(ImageClassificationHead, VideoMAEPreTrainedModel):
    """A linear classifier on the normalised mean token (or the first token)."""

    base_model_class = VideoMAEModel
    head_input = "sequence"
    dropout_fields = None

    def build_head(self, config: VideoMAEConfig) -> None:
        self.fc_norm = nn.LayerNorm(config.hidden_size) if config.use_mean_pooling else None
        super().build_head(config)

    def build_classifier(self, config: VideoMAEConfig, outputs: int) -> nn.Module:
        return super().build_classifier(config, outputs) if outputs > 0 else nn.Identity()

    def head_features(self, features: torch.Tensor, parts: Any = None) -> torch.Tensor:
        if self.fc_norm is None:
            return features[:, 0]
        return self.fc_norm(features.mean(1))


__all__ = ["VideoMAEForVideoClassification", "VideoMAEModel", "VideoMAEPreTrainedModel"]
