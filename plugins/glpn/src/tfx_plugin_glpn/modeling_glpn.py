"""GLPN in PyTorch: the core's Mix Transformer encoder (SegFormer's), a decoder that walks the stages from
the coarsest up (1x1 projection, selective fusion with the previous stage's output, 2x bilinear
upsampling), and a convolutional head giving `sigmoid(.) * max_depth` per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks import mix_transformer as mit
from tfx_plugin_glpn.configuration_glpn import GLPNConfig


@dataclass(repr=False, eq=False)
class DepthEstimatorOutput(ModelOutput):
    """`predicted_depth` `[batch, height, width]` (the input's size for stride-32 stacks)."""

    loss: torch.Tensor | None = None
    predicted_depth: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class GLPNPreTrainedModel(mit.MixTransformerPreTrainedModel):
    config_class = GLPNConfig
    base_model_prefix = "glpn"


class GLPNModel(mit.MixTransformerModel, GLPNPreTrainedModel):
    """The core's Mix Transformer encoder, its classes as they are (`blocks.mix_transformer`,
    the same modules and state-dict keys as SegFormer's): the last stage's map, every stage's
    with hidden states."""


def _conv_norm_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class GLPNSelectiveFeatureFusion(nn.Module):
    """Mix local and global features with two per-pixel sigmoid weights."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convolutional_layer1 = _conv_norm_relu(2 * channels, channels)
        self.convolutional_layer2 = _conv_norm_relu(channels, channels // 2)
        self.convolutional_layer3 = nn.Conv2d(channels // 2, 2, kernel_size=3, stride=1, padding=1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, local: torch.Tensor, global_: torch.Tensor) -> torch.Tensor:
        features = torch.cat((local, global_), dim=1)
        weights = self.sigmoid(
            self.convolutional_layer3(
                self.convolutional_layer2(self.convolutional_layer1(features))
            )
        )
        return local * weights[:, :1] + global_ * weights[:, 1:2]


class GLPNDecoderStage(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, fuse: bool) -> None:
        super().__init__()
        self.convolution = (
            nn.Conv2d(in_channels, out_channels, kernel_size=1)
            if in_channels != out_channels
            else nn.Identity()
        )
        self.fusion = GLPNSelectiveFeatureFusion(out_channels) if fuse else None

    def forward(self, hidden: torch.Tensor, previous: torch.Tensor | None) -> torch.Tensor:
        hidden = self.convolution(hidden)
        if previous is not None and self.fusion is not None:
            hidden = self.fusion(hidden, previous)
        return _upsample(hidden)


def _upsample(maps: torch.Tensor) -> torch.Tensor:
    return nn.functional.interpolate(maps, scale_factor=2.0, mode="bilinear", align_corners=False)


class GLPNDecoder(nn.Module):
    """Coarsest stage first; each stage's output, the last upsampled once more."""

    def __init__(self, config: GLPNConfig) -> None:
        super().__init__()
        sizes = config.hidden_sizes[::-1]
        self.stages = nn.ModuleList(
            GLPNDecoderStage(size, config.decoder_hidden_size, fuse=index > 0)
            for index, size in enumerate(sizes)
        )

    def forward(self, maps: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
        outputs: list[torch.Tensor] = []
        previous = None
        for hidden, stage in zip(maps[::-1], self.stages):
            previous = stage(hidden, previous)
            outputs.append(previous)
        outputs[-1] = _upsample(outputs[-1])
        return outputs


class GLPNDepthEstimationHead(nn.Module):
    def __init__(self, config: GLPNConfig) -> None:
        super().__init__()
        channels = config.decoder_hidden_size
        self.index, self.max_depth = config.head_in_index, config.max_depth
        self.head = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 1, kernel_size=3, stride=1, padding=1),
        )

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        return (torch.sigmoid(self.head(maps[self.index])) * self.max_depth).squeeze(1)


class GLPNForDepthEstimation(mit.MixTransformerHead, GLPNPreTrainedModel):
    """Encoder, decoder and head: a depth per pixel, in `[0, max_depth]`."""

    output_class = DepthEstimatorOutput

    def __init__(self, config: GLPNConfig) -> None:
        super().__init__(config)
        self.glpn = GLPNModel(config)
        self.decoder = GLPNDecoder(config)
        self.head = GLPNDepthEstimationHead(config)
        self.post_init()

    def predict(self, maps: tuple[torch.Tensor, ...], labels: Any) -> dict[str, Any]:
        """With `labels` (`[batch, height, width]` depths, 0 = unknown), the scale-invariant
        log loss over the known pixels."""
        depth = self.head(self.decoder(maps))
        loss = scale_invariant_log_loss(depth, labels) if labels is not None else None
        return {"loss": loss, "predicted_depth": depth}


def scale_invariant_log_loss(
    predicted: torch.Tensor, target: torch.Tensor, weight: float = 0.5
) -> torch.Tensor:
    """sqrt(mean(d^2) - weight * mean(d)^2), d = log target - log prediction, where target > 0."""
    if target.shape != predicted.shape:
        raise ConfigError(
            f"labels must be depth maps shaped like predicted_depth {tuple(predicted.shape)}, "
            f"got {tuple(target.shape)}."
        )
    known = (target > 0).detach()
    difference = torch.log(target[known]) - torch.log(predicted[known])
    return torch.sqrt(difference.pow(2).mean() - weight * difference.mean().pow(2))


__all__ = ["GLPNForDepthEstimation", "GLPNModel", "GLPNPreTrainedModel"]
