"""ViT in PyTorch: patch embeddings with a class token, a pre-norm encoder, and its heads.

The layer is the core's `PreNormEncoderLayer` under ViT's checkpoint names; what is ViT's own
is here: the embeddings (class token, optional mask token, learned positions that can be
resized for other image sizes), the pooler, and the masked-image-modeling decoder.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutputWithPooling
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.patches import PatchEmbeddings, interpolate_positions
from tfx_core.modeling.torch.blocks.pre_norm_encoder import (
    VIT_NAMES,
    PreNormEncoderLayer,
    run_layers,
)
from tfx_core.modeling.torch.blocks.vision_heads import (
    ClassTokenPooler,
    SimMIMHead,
    refuse_head_mask,
)
from tfx_core.modeling.torch.heads import SequenceClassificationHead
from tfx_plugin_vit.configuration_vit import ViTConfig


def _refuse_head_mask(head_mask: Any) -> None:
    refuse_head_mask(head_mask, "ViT")


class ViTEmbeddings(nn.Module):
    """Patches, a prepended class token, learned positions; masked patches become `mask_token`."""

    def __init__(self, config: ViTConfig, use_mask_token: bool = False) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.mask_token = (
            nn.Parameter(torch.zeros(1, 1, config.hidden_size)) if use_mask_token else None
        )
        self.patch_embeddings = PatchEmbeddings(config)
        self.position_embeddings = nn.Parameter(
            torch.zeros(1, self.patch_embeddings.num_patches + 1, config.hidden_size)
        )
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.patch_size = config.patch_size

    def forward(
        self,
        pixel_values: torch.Tensor,
        bool_masked_pos: torch.Tensor | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> torch.Tensor:
        embeddings = self.patch_embeddings(pixel_values, interpolate_pos_encoding)
        batch, length, _ = embeddings.shape
        if bool_masked_pos is not None and self.mask_token is not None:
            masked = bool_masked_pos.unsqueeze(-1).type_as(embeddings)
            embeddings = (
                embeddings * (1.0 - masked) + self.mask_token.expand(batch, length, -1) * masked
            )
        embeddings = torch.cat((self.cls_token.expand(batch, -1, -1), embeddings), dim=1)
        positions = self.position_embeddings
        if interpolate_pos_encoding:
            height, width = pixel_values.shape[-2:]
            positions = interpolate_positions(positions, 1, height, width, self.patch_size)
        return self.dropout(embeddings + positions)


class ViTLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class ViTEncoder(nn.Module):
    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(ViTLayer(config) for _ in range(config.num_hidden_layers))


class ViTPooler(ClassTokenPooler):
    """The class token through a dense layer and `pooler_act`."""


class ViTPreTrainedModel(PreTrainedModel):
    config_class = ViTConfig
    base_model_prefix = "vit"
    main_input_name: ClassVar[str] = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        with torch.no_grad():
            if isinstance(module, nn.Conv2d):
                nn.init.trunc_normal_(module.weight, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, ViTEmbeddings):
                nn.init.trunc_normal_(module.position_embeddings, std=std)
                nn.init.trunc_normal_(module.cls_token, std=std)
                if module.mask_token is not None:
                    module.mask_token.zero_()


class ViTModel(ViTPreTrainedModel):
    """Embeddings, encoder, final LayerNorm and (optionally) the pooler."""

    def __init__(
        self, config: ViTConfig, add_pooling_layer: bool = True, use_mask_token: bool = False
    ) -> None:
        super().__init__(config)
        self.embeddings = ViTEmbeddings(config, use_mask_token=use_mask_token)
        self.encoder = ViTEncoder(config)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.pooler = ViTPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.embeddings.patch_embeddings

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        bool_masked_pos: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool | None = None,
        return_dict: bool | None = None,
        last_layer_rows: int | None = None,
    ) -> Any:
        """`last_layer_rows` (tfx): the last layer computes only the first `last_layer_rows`
        positions (what a class-token head reads), unless hidden states or attentions are
        returned; `last_hidden_state` then holds those positions only."""
        _refuse_head_mask(head_mask)
        if pixel_values is None:
            raise ValueError("ViTModel needs pixel_values (use the model's image processor).")
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        hidden = self.embeddings(pixel_values, bool_masked_pos, bool(interpolate_pos_encoding))
        hidden, all_hidden, attentions = run_layers(
            self.encoder.layer,
            hidden,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            last_layer_rows=last_layer_rows,
        )
        sequence = self.layernorm(hidden)
        pooled = self.pooler(sequence) if self.pooler is not None else None
        return self.model_outputs(
            BaseModelOutputWithPooling(
                last_hidden_state=sequence,
                pooler_output=pooled,
                hidden_states=all_hidden,
                attentions=attentions,
            ),
            return_dict,
        )


class ViTForImageClassification(SequenceClassificationHead, ViTPreTrainedModel):
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
