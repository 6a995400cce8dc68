"""BEiT for semantic segmentation: four encoder stages as a feature pyramid, a UperNet decode
head (pyramid pooling + FPN) and an FCN auxiliary head, with the reference's weight names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_plugin_beit.configuration_beit import BeitConfig
from tfx_plugin_beit.modeling_beit import BeitModel, BeitPreTrainedModel


@dataclass(repr=False, eq=False)
class SemanticSegmenterOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class BeitConvModule(nn.Module):
    """Convolution, batch norm, ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        padding: int = 0,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, padding=padding, bias=False, dilation=dilation
        )
        self.bn = nn.BatchNorm2d(out_channels)
        self.activation = nn.ReLU()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.activation(self.bn(self.conv(hidden)))


def _upsample(hidden: torch.Tensor, size: Any) -> torch.Tensor:
    return nn.functional.interpolate(hidden, size=size, mode="bilinear", align_corners=False)


class BeitPyramidPoolingModule(nn.ModuleList):
    """Average-pool to each scale, 1x1 conv, upsample back (children `N.0` pool, `N.1` conv)."""

    def __init__(self, scales: list[int], in_channels: int, channels: int) -> None:
        super().__init__(
            nn.Sequential(nn.AdaptiveAvgPool2d(scale), BeitConvModule(in_channels, channels, 1))
            for scale in scales
        )

    def forward(self, hidden: torch.Tensor) -> list[torch.Tensor]:
        return [_upsample(block(hidden), hidden.shape[2:]) for block in self]


class BeitUperHead(nn.Module):
    """UperNet: pyramid pooling on the last level, lateral + top-down FPN, fused, classified."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__()
        channels, levels = config.hidden_size, 4
        scales = list(config.pool_scales)
        self.classifier = nn.Conv2d(channels, config.num_labels, kernel_size=1)
        self.psp_modules = BeitPyramidPoolingModule(scales, channels, channels)
        self.bottleneck = BeitConvModule(channels * (1 + len(scales)), channels, 3, padding=1)
        self.lateral_convs = nn.ModuleList(
            BeitConvModule(channels, channels, 1) for _ in range(levels - 1)
        )
        self.fpn_convs = nn.ModuleList(
            BeitConvModule(channels, channels, 3, padding=1) for _ in range(levels - 1)
        )
        self.fpn_bottleneck = BeitConvModule(levels * channels, channels, 3, padding=1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        laterals = [conv(features[i]) for i, conv in enumerate(self.lateral_convs)]
        top = features[-1]
        laterals.append(self.bottleneck(torch.cat([top, *self.psp_modules(top)], dim=1)))
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + _upsample(laterals[i], laterals[i - 1].shape[2:])
        outs = [conv(laterals[i]) for i, conv in enumerate(self.fpn_convs)] + [laterals[-1]]
        outs = [outs[0]] + [_upsample(out, outs[0].shape[2:]) for out in outs[1:]]
        return self.classifier(self.fpn_bottleneck(torch.cat(outs, dim=1)))


class BeitFCNHead(nn.Module):
    """Auxiliary head: a few 3x3 conv modules on one pyramid level, then a 1x1 classifier."""

    def __init__(self, config: BeitConfig, in_index: int = 2) -> None:
        super().__init__()
        hidden, channels = config.hidden_size, config.auxiliary_channels
        self.in_index = in_index
        self.concat_input = config.auxiliary_concat_input
        count = config.auxiliary_num_convs
        convs = [
            BeitConvModule(hidden if i == 0 else channels, channels, 3, padding=1)
            for i in range(count)
        ]
        self.convs = nn.Sequential(*convs) if count else nn.Identity()
        if self.concat_input:
            self.conv_cat = BeitConvModule(hidden + channels, channels, 3, padding=1)
        self.classifier = nn.Conv2d(channels, config.num_labels, kernel_size=1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        hidden = features[self.in_index]
        out = self.convs(hidden)
        if self.concat_input:
            out = self.conv_cat(torch.cat([hidden, out], dim=1))
        return self.classifier(out)


class BeitForSemanticSegmentation(BeitPreTrainedModel):
    """Per-pixel class logits at a quarter of the input resolution."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__(config)
        if not isinstance(config.out_indices, (list, tuple)) or len(config.out_indices) != 4:
            raise ConfigError(
                "BeitForSemanticSegmentation needs config.out_indices: the 4 encoder layers to "
                f"read (e.g. [3, 5, 7, 11] for a base model); got {config.out_indices!r}."
            )
        self.num_labels = config.num_labels
        self.beit = BeitModel(config, add_pooling_layer=False)
        hidden = config.hidden_size
        self.fpn1 = nn.Sequential(
            nn.ConvTranspose2d(hidden, hidden, kernel_size=2, stride=2),
            nn.BatchNorm2d(hidden),
            nn.GELU(),
            nn.ConvTranspose2d(hidden, hidden, kernel_size=2, stride=2),
        )
        self.fpn2 = nn.Sequential(nn.ConvTranspose2d(hidden, hidden, kernel_size=2, stride=2))
        self.fpn3 = nn.Identity()
        self.fpn4 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.decode_head = BeitUperHead(config)
        self.auxiliary_head = BeitFCNHead(config) if config.use_auxiliary_head else None
        self.post_init()

    def compute_loss(
        self, logits: torch.Tensor, auxiliary: torch.Tensor | None, labels: torch.Tensor
    ) -> torch.Tensor:
        ignore = self.config.semantic_loss_ignore_index
        size = labels.shape[-2:]
        loss = nn.functional.cross_entropy(_upsample(logits, size), labels, ignore_index=ignore)
        if auxiliary is not None:
            extra = nn.functional.cross_entropy(
                _upsample(auxiliary, size), labels, ignore_index=ignore
            )
            loss = loss + self.config.auxiliary_loss_weight * extra
        return loss

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        head_mask: Any = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        if labels is not None and self.config.num_labels == 1:
            raise ConfigError("Semantic segmentation needs more than one label (num_labels > 1).")
        _, wants_hidden = self.output_flags(output_attentions, output_hidden_states)
        outputs = self.beit(
            pixel_values,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=True,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=True,
        )
        side = self.config.image_size // self.config.patch_size
        batch = pixel_values.shape[0]
        stages = [
            state[:, 1:, :].permute(0, 2, 1).reshape(batch, -1, side, side)
            for index, state in enumerate(outputs.hidden_states)
            if index + 1 in self.config.out_indices
        ]
        features = [op(x) for op, x in zip((self.fpn1, self.fpn2, self.fpn3, self.fpn4), stages)]
        logits = self.decode_head(features)
        auxiliary = self.auxiliary_head(features) if self.auxiliary_head is not None else None
        loss = self.compute_loss(logits, auxiliary, labels) if labels is not None else None
        return self.model_outputs(
            SemanticSegmenterOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.hidden_states if wants_hidden else None,
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )
