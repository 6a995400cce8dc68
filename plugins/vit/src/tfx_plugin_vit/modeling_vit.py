"""ViT in PyTorch: the core's pre-norm ViT stack under ViT's names, and its heads.

The embeddings (class token, optional mask token, learned positions that can be resized for
other image sizes), the layer, the encoder loop and the base model's tail are the core's
(`blocks.vision_transformer`); what is ViT's own is its names, the pooler and the heads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.vision_heads import (
    ClassTokenPooler,
    ImageClassificationHead,
    SimMIMHead,
)
from tfx_core.modeling.torch.blocks.vision_transformer import (
    VisionEmbeddings,
    VisionEncoder,
    VisionPreTrainedModel,
    VisionTransformerModel,
)
from tfx_plugin_vit.configuration_vit import ViTConfig


class ViTEmbeddings(VisionEmbeddings):
    """Patches, a prepended class token, learned positions; masked patches become `mask_token`."""


class ViTLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class ViTEncoder(VisionEncoder):
    layer_class = ViTLayer


class ViTPooler(ClassTokenPooler):
    """The class token through a dense layer and `pooler_act`."""


class ViTPreTrainedModel(VisionPreTrainedModel):
    config_class = ViTConfig
    base_model_prefix = "vit"
    truncated_init = True


class ViTModel(VisionTransformerModel, ViTPreTrainedModel):
    """Embeddings, encoder, final LayerNorm and (optionally) the pooler."""

    family = "ViT"
    embeddings_class = ViTEmbeddings
    encoder_class = ViTEncoder
    pooler_class = ViTPooler


class ViTForImageClassification(ImageClassificationHead, ViTPreTrainedModel):
    """A linear classifier on the final class token."""

    base_model_class = ViTModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    head_input = "first_token"
    dropout_fields = None

    def run_base(self, args: tuple, kwargs: dict[str, Any], flags: dict[str, Any]) -> Any:
        # the classifier reads the class token only: the last layer computes no other position
        return super().run_base(args, kwargs, {**flags, "last_layer_rows": 1})


class ViTForMaskedImageModeling(SimMIMHead, ViTPreTrainedModel):
    """Reconstructs pixels from the patch states (SimMIM): a 1x1 conv and a pixel shuffle."""

    base_model_class = ViTModel
