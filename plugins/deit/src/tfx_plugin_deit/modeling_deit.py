"""DeiT in PyTorch: ViT with a distillation token, and the distilled classifier pair.

DeiT's layer is the core's `PreNormEncoderLayer` under the ViT names; what is DeiT's own is
here: the embeddings (class and distillation tokens before the patches), the heads reading
either token, and the masked-image-modeling decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutputWithPooling, ModelOutput
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
    masked_pixel_loss,
    refuse_head_mask,
)
from tfx_core.modeling.torch.heads import SequenceClassificationHead
from tfx_plugin_deit.configuration_deit import DeiTConfig


def _refuse_head_mask(head_mask: Any) -> None:
    refuse_head_mask(head_mask, "DeiT")


@dataclass(repr=False, eq=False)
class DeiTForImageClassificationWithTeacherOutput(ModelOutput):
    logits: torch.Tensor | None = None
    cls_logits: torch.Tensor | None = None
    distillation_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class DeiTEmbeddings(nn.Module):
    """Class token, distillation token, then the patches; learned positions for all."""

    def __init__(self, config: DeiTConfig, use_mask_token: bool = False) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.distillation_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden)) if use_mask_token else None
        self.patch_embeddings = PatchEmbeddings(config)
        patches = self.patch_embeddings.num_patches
        self.position_embeddings = nn.Parameter(torch.zeros(1, patches + 2, hidden))
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
            mask_tokens = self.mask_token.expand(batch, length, -1)
            embeddings = embeddings * (1.0 - masked) + mask_tokens * masked
        tokens = (
            self.cls_token.expand(batch, -1, -1),
            self.distillation_token.expand(batch, -1, -1),
        )
        embeddings = torch.cat((*tokens, embeddings), dim=1)
        positions = self.position_embeddings
        if interpolate_pos_encoding:
            height, width = pixel_values.shape[-2:]
            positions = interpolate_positions(positions, 2, height, width, self.patch_size)
        return self.dropout(embeddings + positions)


class DeiTLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class DeiTEncoder(nn.Module):
    def __init__(self, config: DeiTConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(DeiTLayer(config) for _ in range(config.num_hidden_layers))


class DeiTPooler(ClassTokenPooler):
    """The class token through a dense layer and `pooler_act`."""


class DeiTPreTrainedModel(PreTrainedModel):
    config_class = DeiTConfig
    base_model_prefix = "deit"
    main_input_name: ClassVar[str] = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        with torch.no_grad():
            if isinstance(module, nn.Conv2d):
                nn.init.trunc_normal_(module.weight, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, DeiTEmbeddings):
                for token in (module.cls_token, module.distillation_token):
                    nn.init.trunc_normal_(token, std=std)
                nn.init.trunc_normal_(module.position_embeddings, std=std)
                if module.mask_token is not None:
                    module.mask_token.zero_()


class DeiTModel(DeiTPreTrainedModel):
    """Embeddings, encoder, final LayerNorm and (optionally) the pooler."""

    def __init__(
        self, config: DeiTConfig, add_pooling_layer: bool = True, use_mask_token: bool = False
    ) -> None:
        super().__init__(config)
        self.embeddings = DeiTEmbeddings(config, use_mask_token=use_mask_token)
        self.encoder = DeiTEncoder(config)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.pooler = DeiTPooler(config) if add_pooling_layer else None
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
        return_dict: bool | None = None,
        interpolate_pos_encoding: bool = False,
        last_layer_rows: int | None = None,
    ) -> Any:
        """`last_layer_rows` (tfx): the last layer computes only the first `last_layer_rows`
        positions (what the token heads read), unless hidden states or attentions are returned;
        `last_hidden_state` then holds those positions only."""
        _refuse_head_mask(head_mask)
        if pixel_values is None:
            raise ValueError("DeiTModel needs pixel_values (use the model's image processor).")
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
        return self.model_outputs(
            BaseModelOutputWithPooling(
                last_hidden_state=sequence,
                pooler_output=self.pooler(sequence) if self.pooler is not None else None,
                hidden_states=all_hidden,
                attentions=attentions,
            ),
            return_dict,
        )


class DeiTForImageClassification(SequenceClassificationHead, DeiTPreTrainedModel):
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
        _refuse_head_mask(head_mask)
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
