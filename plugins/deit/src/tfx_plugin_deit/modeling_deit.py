"""DeiT in PyTorch: ViT with a distillation token, and the distilled classifier pair.

The embeddings, layer, encoder loop and base-model tail are the core's pre-norm ViT stack
(`blocks.vision_transformer`) under the ViT names; what is DeiT's own is here: the
distillation token after the class token, the heads reading either token, and the
masked-image-modeling decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.vision_heads import (
    ClassTokenPooler,
    ImageClassificationHead,
    SimMIMHead,
    masked_pixel_loss,
    refuse_head_mask,
)
from tfx_core.modeling.torch.blocks.vision_transformer import (
    VisionEmbeddings,
    VisionEncoder,
    VisionPreTrainedModel,
    VisionTransformerModel,
)
from tfx_plugin_deit.configuration_deit import DeiTConfig


@dataclass(repr=False, eq=False)
class DeiTForImageClassificationWithTeacherOutput(ModelOutput):
    logits: torch.Tensor | None = None
    cls_logits: torch.Tensor | None = None
    distillation_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class DeiTEmbeddings(VisionEmbeddings):
    """Class token, distillation token, then the patches; learned positions for all."""

    token_names = ("cls_token", "distillation_token")


class DeiTLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class DeiTEncoder(VisionEncoder):
    layer_class = DeiTLayer


class DeiTPooler(ClassTokenPooler):
    """The class token through a dense layer and `pooler_act`."""


class DeiTPreTrainedModel(VisionPreTrainedModel):
    config_class = DeiTConfig
    base_model_prefix = "deit"
    truncated_init = True


class DeiTModel(VisionTransformerModel, DeiTPreTrainedModel):
    """Embeddings, encoder, final LayerNorm and (optionally) the pooler."""

    family = "DeiT"
    embeddings_class = DeiTEmbeddings
    encoder_class = DeiTEncoder
    pooler_class = DeiTPooler

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        bool_masked_pos: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        interpolate_pos_encoding: bool = False,
        last_layer_rows: int | None = None,
    ) -> Any:
        """The core's forward with the reference's argument order (`return_dict` first)."""
        return super().forward(
            pixel_values, bool_masked_pos, head_mask, output_attentions, output_hidden_states,
            interpolate_pos_encoding, return_dict, last_layer_rows,
        )  # fmt: skip


class DeiTForImageClassification(ImageClassificationHead, DeiTPreTrainedModel):
    """A linear classifier on the final class token."""

    base_model_class = DeiTModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    head_input = "first_token"
    dropout_fields = None

    def run_base(self, args: tuple, kwargs: dict[str, Any], flags: dict[str, Any]) -> Any:
        # the classifier reads the class token only: the last layer computes no other position
        return super().run_base(args, kwargs, {**flags, "last_layer_rows": 1})


class DeiTForImageClassificationWithTeacher(DeiTPreTrainedModel):
    """The distilled classifier: the mean of a class-token head and a distillation-token head."""

    def __init__(self, config: DeiTConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.deit = DeiTModel(config, add_pooling_layer=False)
        self.cls_classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.distillation_classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> Any:
        refuse_head_mask(head_mask, "DeiT")
        outputs = self.deit(
            pixel_values,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=True,
            last_layer_rows=2,  # the class and distillation tokens
        )
        sequence = outputs.last_hidden_state
        cls_logits = self.cls_classifier(sequence[:, 0])
        distillation_logits = self.distillation_classifier(sequence[:, 1])
        return self.model_outputs(
            DeiTForImageClassificationWithTeacherOutput(
                logits=(cls_logits + distillation_logits) / 2,
                cls_logits=cls_logits,
                distillation_logits=distillation_logits,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class DeiTForMaskedImageModeling(SimMIMHead, DeiTPreTrainedModel):
    """Reconstructs pixels from the patch states (SimMIM): a 1x1 conv and a pixel shuffle.

    The reference drops the first and the last state (not the distillation token), and sizes
    the loss's mask from the config."""

    base_model_class = DeiTModel
    extra_tokens = 1

    def masked_loss(
        self, pixel_values: torch.Tensor, reconstruction: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        config = self.config
        side = config.image_size // config.patch_size
        return masked_pixel_loss(
            pixel_values, reconstruction, mask, config.patch_size, side, config.num_channels
        )
