"""SegFormer in PyTorch: the core's Mix Transformer encoder (four stages of overlapping patch
embeddings and pre-norm layers whose attention reads a spatially reduced sequence, and whose
feed-forward has a depthwise 3x3 convolution) and the all-MLP decode head.

Every stage works on a feature map `[batch, channels, height, width]` flattened to tokens; the
encoder's hidden states are the four stage outputs as maps, which the decode head projects,
upsamples to the first stage's size, fuses and classifies per pixel (at 1/4 of the input size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks import mix_transformer as mit
from tfx_plugin_segformer.configuration_segformer import SegformerConfig


@dataclass(repr=False, eq=False)
class SemanticSegmenterOutput(ModelOutput):
    """Per-pixel class logits `[batch, num_labels, height / 4, width / 4]`."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


# The encoder: the core's Mix Transformer under SegFormer's class names (blocks/mix_transformer).
class SegformerDropPath(mit.DropPath):
    pass


class SegformerOverlapPatchEmbeddings(mit.OverlapPatchEmbeddings):
    pass


class SegformerEfficientSelfAttention(mit.EfficientSelfAttention):
    pass


class SegformerSelfOutput(mit.MixSelfOutput):
    pass


class SegformerAttention(mit.MixAttention):
    self_class = SegformerEfficientSelfAttention
    output_class = SegformerSelfOutput


class SegformerDWConv(mit.DepthwiseConv):
    pass


class SegformerMixFFN(mit.MixFFN):
    dwconv_class = SegformerDWConv


class SegformerLayer(mit.MixLayer):
    attention_class = SegformerAttention
    mlp_class = SegformerMixFFN
    drop_path_class = SegformerDropPath


class SegformerEncoder(mit.MixTransformerEncoder):
    patch_embeddings_class = SegformerOverlapPatchEmbeddings
    layer_class = SegformerLayer


class SegformerPreTrainedModel(mit.MixTransformerPreTrainedModel):
    config_class = SegformerConfig
    base_model_prefix = "segformer"


class SegformerModel(mit.MixTransformerModel, SegformerPreTrainedModel):
    """The Mix Transformer encoder: the last stage's map, and every stage's with
    `output_hidden_states`."""

    encoder_class = SegformerEncoder


class SegformerMLP(nn.Module):
    """A stage's map to `decoder_hidden_size` channels, as tokens."""

    def __init__(self, config: SegformerConfig, input_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(input_dim, config.decoder_hidden_size)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return self.proj(maps.flatten(2).transpose(1, 2))


class SegformerDecodeHead(nn.Module):
    """Project each stage, upsample to the first stage's size, fuse (1x1 conv, BatchNorm,
    ReLU), classify each pixel."""

    def __init__(self, config: SegformerConfig) -> None:
        super().__init__()
        width, stages = config.decoder_hidden_size, config.num_encoder_blocks
        self.linear_c = nn.ModuleList(SegformerMLP(config, size) for size in config.hidden_sizes)
        self.linear_fuse = nn.Conv2d(width * stages, width, kernel_size=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(width)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(config.classifier_dropout_prob)
        self.classifier = nn.Conv2d(width, config.num_labels, kernel_size=1)

    def forward(self, maps: tuple[torch.Tensor, ...]) -> torch.Tensor:
        size = maps[0].shape[-2:]
        projected = []
        for stage_map, mlp in zip(maps, self.linear_c):
            batch, _, height, width = stage_map.shape
            tokens = mlp(stage_map).transpose(1, 2).reshape(batch, -1, height, width)
            projected.append(
                nn.functional.interpolate(tokens, size=size, mode="bilinear", align_corners=False)
            )
        fused = self.linear_fuse(torch.cat(projected[::-1], dim=1))
        return self.classifier(self.dropout(self.activation(self.batch_norm(fused))))


class SegformerForSemanticSegmentation(mit.MixTransformerHead, SegformerPreTrainedModel):
    """The encoder and the all-MLP decode head: logits at 1/4 of the input's size."""

    output_class = SemanticSegmenterOutput

    def __init__(self, config: SegformerConfig) -> None:
        super().__init__(config)
        self.segformer = SegformerModel(config)
        self.decode_head = SegformerDecodeHead(config)
        self.post_init()

    def predict(self, maps: tuple[torch.Tensor, ...], labels: Any) -> dict[str, Any]:
        """With `labels` (`[batch, height, width]` class ids), the loss of the logits upsampled
        to the labels' size: cross-entropy ignoring `semantic_loss_ignore_index`, or for one
        label a masked binary cross-entropy."""
        logits = self.decode_head(maps)
        loss = _segmentation_loss(logits, labels, self.config) if labels is not None else None
        return {"loss": loss, "logits": logits}


def _segmentation_loss(
    logits: torch.Tensor, labels: torch.Tensor, config: SegformerConfig
) -> torch.Tensor:
    if config.num_labels < 1:
        raise ConfigError(
            f"num_labels must be at least 1 to compute a loss, got {config.num_labels}."
        )
    upsampled = nn.functional.interpolate(
        logits, size=labels.shape[-2:], mode="bilinear", align_corners=False
    )
    ignore = config.semantic_loss_ignore_index
    if config.num_labels > 1:
        return nn.functional.cross_entropy(upsampled, labels, ignore_index=ignore)
    valid = ((labels >= 0) & (labels != ignore)).float()
    loss = nn.functional.binary_cross_entropy_with_logits(
        upsampled.squeeze(1), labels.float(), reduction="none"
    )
    return (loss * valid).mean()


__all__ = ["SegformerForSemanticSegmentation", "SegformerModel", "SegformerPreTrainedModel"]
