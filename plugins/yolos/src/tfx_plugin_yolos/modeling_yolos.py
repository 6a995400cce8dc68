"""YOLOS in PyTorch: a ViT whose sequence ends with learned detection tokens, read by two MLPs
into class logits and boxes (DETR-style set prediction, no anchors).

The stack is the core's pre-norm ViT (`blocks.vision_transformer`) under ViT's checkpoint
names. YOLOS's own parts are here: the embeddings (class token, patches, detection tokens),
position tables resized to every input's patch grid (the first one and, with
`use_mid_position_embeddings`, one added after each layer but the last), and the detection
heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks.encoder_model import Pooler
from tfx_core.modeling.torch.blocks.patches import PatchEmbeddings
from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.vision_transformer import (
    VisionEncoder,
    VisionPreTrainedModel,
    VisionTransformerModel,
)
from tfx_plugin_yolos.configuration_yolos import YolosConfig


@dataclass(repr=False, eq=False)
class YolosObjectDetectionOutput(ModelOutput):
    """Class logits (`num_labels + 1`, the last is "no object") and boxes per detection token;
    boxes are (center x, center y, width, height) relative to the padded image."""

    loss: torch.Tensor | None = None
    loss_dict: dict | None = None
    logits: torch.Tensor | None = None
    pred_boxes: torch.Tensor | None = None
    auxiliary_outputs: list | None = None
    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


def resize_patch_positions(
    table: torch.Tensor, config: YolosConfig, height: int, width: int
) -> torch.Tensor:
    """`[..., 1 + patches + detections, dim]` with the patch rows resized (bicubic) from the
    trained patch grid to a `height` x `width` image's grid; class and detection rows kept."""
    detections, patch = config.num_detection_tokens, config.patch_size
    grid = (config.image_size[0] // patch, config.image_size[1] // patch)
    new_grid = (height // patch, width // patch)
    leading, dim = table.shape[:-2], table.shape[-1]
    patches = table[..., 1:-detections, :].reshape(-1, *grid, dim).permute(0, 3, 1, 2)
    patches = nn.functional.interpolate(patches, size=new_grid, mode="bicubic", align_corners=False)
    patches = patches.flatten(2).transpose(1, 2).reshape(*leading, -1, dim)
    return torch.cat((table[..., :1, :], patches, table[..., -detections:, :]), dim=-2)


class YolosEmbeddings(nn.Module):
    """Class token, patches, detection tokens; positions resized to the image's patch grid."""

    def __init__(self, config: YolosConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.detection_tokens = nn.Parameter(torch.zeros(1, config.num_detection_tokens, hidden))
        self.patch_embeddings = PatchEmbeddings(config)
        length = self.patch_embeddings.num_patches + config.num_detection_tokens + 1
        self.position_embeddings = nn.Parameter(torch.zeros(1, length, hidden))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.config = config

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        embeddings = self.patch_embeddings(pixel_values, interpolate_pos_encoding=True)
        batch = embeddings.shape[0]
        tokens = (
            self.cls_token.expand(batch, -1, -1),
            embeddings,
            self.detection_tokens.expand(batch, -1, -1),
        )
        height, width = pixel_values.shape[-2:]
        positions = resize_patch_positions(self.position_embeddings, self.config, height, width)
        return self.dropout(torch.cat(tokens, dim=1) + positions)


class YolosLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class YolosEncoder(VisionEncoder):
    """The layers, and the positions added after each layer but the last (when configured)."""

    layer_class = YolosLayer

    def __init__(self, config: YolosConfig) -> None:
        super().__init__(config)
        self.config = config
        self.mid_position_embeddings = None
        if config.use_mid_position_embeddings:
            size = config.image_size
            length = 1 + size[0] * size[1] // config.patch_size**2 + config.num_detection_tokens
            self.mid_position_embeddings = nn.Parameter(
                torch.zeros(config.num_hidden_layers - 1, 1, length, config.hidden_size)
            )

    def forward(
        self, hidden_states: torch.Tensor, *, image_size: tuple[int, int], **kwargs: Any
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        """The core loop, the mid positions (resized to `image_size`) added between layers."""
        if self.mid_position_embeddings is None:
            return super().forward(hidden_states, **kwargs)
        mid = resize_patch_positions(self.mid_position_embeddings, self.config, *image_size)
        return super().forward(hidden_states, between=lambda i, h: h + mid[i], **kwargs)


class YolosPooler(Pooler):
    """tanh(dense(first token))."""


class YolosMLPPredictionHead(nn.Module):
    """Linear layers with ReLU between them (`layers.0`, `layers.1`, ...)."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int) -> None:
        super().__init__()
        widths = [input_dim] + [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(nn.Linear(first, second) for first, second in pairwise(widths))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            hidden = nn.functional.relu(layer(hidden))
        return self.layers[-1](hidden)


class YolosPreTrainedModel(VisionPreTrainedModel):
    config_class = YolosConfig
    base_model_prefix = "vit"


def _refuse(name: str, value: Any) -> None:
    if value is not None:
        raise ConfigError(
            f"{name} is not supported by tfx's YOLOS (inference only: no head_mask, no "
            "Hungarian-matching training loss)."
        )


class YolosModel(VisionTransformerModel, YolosPreTrainedModel):
    """Embeddings, encoder (with the mid positions), final LayerNorm, optional pooler."""

    family = "YOLOS"
    embeddings_class = YolosEmbeddings
    encoder_class = YolosEncoder
    pooler_class = YolosPooler

    def embed(self, pixel_values: torch.Tensor, *_: Any) -> torch.Tensor:
        return self.embeddings(pixel_values)

    def encoder_inputs(self, pixel_values: torch.Tensor, _: bool) -> dict[str, Any]:
        return {"image_size": tuple(pixel_values.shape[-2:])}

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        """The core's forward with the reference's arguments."""
        _refuse("head_mask", head_mask)
        return super().forward(
            pixel_values,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


class YolosForObjectDetection(YolosPreTrainedModel):
    """Class logits and boxes from the final detection-token states."""

    def __init__(self, config: YolosConfig) -> None:
        super().__init__(config)
        self.vit = YolosModel(config, add_pooling_layer=False)
        hidden = config.hidden_size
        self.class_labels_classifier = YolosMLPPredictionHead(
            hidden, hidden, config.num_labels + 1, 3
        )
        self.bbox_predictor = YolosMLPPredictionHead(hidden, hidden, 4, 3)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: Any = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        _refuse("labels", labels)
        outputs = self.vit(
            pixel_values,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        detections = outputs.last_hidden_state[:, -self.config.num_detection_tokens :]
        return self.model_outputs(
            YolosObjectDetectionOutput(
                logits=self.class_labels_classifier(detections),
                pred_boxes=self.bbox_predictor(detections).sigmoid(),
                last_hidden_state=outputs.last_hidden_state,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


__all__ = ["YolosForObjectDetection", "YolosModel", "YolosPreTrainedModel"]
