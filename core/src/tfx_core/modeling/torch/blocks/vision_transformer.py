"""The pre-norm ViT stack, written once: embeddings, encoder loop and base-model tail.

ViT, DeiT, BEiT, YOLOS, ViLT and VideoMAE share it: patch (or text + patch) embeddings, the
core's `PreNormEncoderLayer` under ViT's checkpoint names run by `run_layers` (so the fused
products and the last-layer-first-rows shortcut serve every family), a final LayerNorm and an
optional pooler. A plugin keeps only what is its own, through these hooks:

- `VisionEmbeddings.token_names`: the tokens before the patches (DeiT adds its distillation
  token); `always_interpolate`: positions resized for any image size (BEiT).
- `VisionEncoder.forward(attention_bias=..., between=...)`: a per-layer bias list (BEiT's
  relative position bias) and a step after every layer but the last (YOLOS's mid positions).
- `LayerScaleLayer`: per-channel factors on each sub-layer's output and stochastic depth (BEiT).
- `VisionTransformerModel`: `embeddings_class`, `encoder_class`, `pooler_class`, `embed` and
  `encoder_inputs`; `encode` is the tail a model with other inputs (ViLT) calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutput, BaseModelOutputWithPooling
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.mix_transformer import DropPath
from tfx_core.modeling.torch.blocks.patches import PatchEmbeddings, interpolate_positions
from tfx_core.modeling.torch.blocks.pre_norm_encoder import PreNormEncoderLayer, run_layers
from tfx_core.modeling.torch.blocks.vision_heads import refuse_head_mask


class VisionEmbeddings(nn.Module):
    """Leading tokens (`token_names`), the patches (masked ones replaced by `mask_token`) and
    learned positions, resized for other image sizes; `position_embeddings` is None without
    `absolute_positions`."""

    token_names: ClassVar[tuple[str, ...]] = ("cls_token",)
    #: positions resized (and any image size taken) whatever `interpolate_pos_encoding` says
    always_interpolate: ClassVar[bool] = False

    def __init__(
        self, config: Any, use_mask_token: bool = False, absolute_positions: bool = True
    ) -> None:
        super().__init__()
        hidden = config.hidden_size
        for name in self.token_names:
            setattr(self, name, nn.Parameter(torch.zeros(1, 1, hidden)))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden)) if use_mask_token else None
        self.patch_embeddings = PatchEmbeddings(config)
        self.position_embeddings = None
        if absolute_positions:
            length = self.patch_embeddings.num_patches + len(self.token_names)
            self.position_embeddings = nn.Parameter(torch.zeros(1, length, hidden))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.patch_size = config.patch_size

    def forward(
        self,
        pixel_values: torch.Tensor,
        bool_masked_pos: torch.Tensor | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> torch.Tensor:
        interpolate = interpolate_pos_encoding or self.always_interpolate
        embeddings = self.patch_embeddings(pixel_values, interpolate)
        batch, length, _ = embeddings.shape
        if bool_masked_pos is not None and self.mask_token is not None:
            masked = bool_masked_pos.unsqueeze(-1).type_as(embeddings)
            embeddings = (
                embeddings * (1.0 - masked) + self.mask_token.expand(batch, length, -1) * masked
            )
        tokens = [getattr(self, name).expand(batch, -1, -1) for name in self.token_names]
        embeddings = torch.cat((*tokens, embeddings), dim=1)
        if self.position_embeddings is not None:
            positions = self.position_embeddings
            if interpolate:
                height, width = pixel_values.shape[-2:]
                extra = len(self.token_names)
                positions = interpolate_positions(positions, extra, height, width, self.patch_size)
            embeddings = embeddings + positions
        return self.dropout(embeddings)


class LayerScaleLayer(PreNormEncoderLayer):
    """The pre-norm layer with layer scale (`lambda_1`, `lambda_2`: per-channel factors on the
    attention's and the feed-forward's output, when `config.layer_scale_init_value` > 0) and
    stochastic depth on both branches (`drop_path_rate`)."""

    scales_branches = True

    def __init__(self, config: Any, drop_path_rate: float = 0.0) -> None:
        super().__init__(config)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        scale = config.layer_scale_init_value
        self.lambda_1 = self.lambda_2 = None
        if scale > 0:
            self.lambda_1 = nn.Parameter(scale * torch.ones(config.hidden_size))
            self.lambda_2 = nn.Parameter(scale * torch.ones(config.hidden_size))

    def scale_branch(self, output: torch.Tensor, branch: int) -> torch.Tensor:
        factor = self.lambda_1 if branch == 0 else self.lambda_2
        return self.drop_path(output if factor is None else factor * output)


class VisionEncoder(nn.Module):
    """`layer.N` (`layers`, or a `layer_class` per `config.num_hidden_layers`), run by
    `run_layers`."""

    layer_class: ClassVar[type[nn.Module]] = PreNormEncoderLayer

    def __init__(self, config: Any, layers: list[nn.Module] | None = None) -> None:
        super().__init__()
        if layers is None:
            layers = [self.layer_class(config) for _ in range(config.num_hidden_layers)]
        self.layer = nn.ModuleList(layers)

    def forward(
        self,
        hidden_states: torch.Tensor,
        *,
        attention_bias: torch.Tensor | list | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        last_layer_rows: int | None = None,
        between: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        """(last hidden states, all hidden states, attentions): see `run_layers`."""
        return run_layers(
            self.layer,
            hidden_states,
            attention_bias=attention_bias,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            last_layer_rows=last_layer_rows,
            between=between,
        )


class VisionPreTrainedModel(PreTrainedModel):
    """`PreTrainedModel` of the image families: `pixel_values` in; patch convolutions drawn from
    a normal (truncated, with the embeddings' tokens and positions, when `truncated_init`), and
    layer-scale factors set to `layer_scale_init_value`."""

    main_input_name: ClassVar[str] = "pixel_values"
    truncated_init: ClassVar[bool] = False

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        draw = nn.init.trunc_normal_ if self.truncated_init else nn.init.normal_
        with torch.no_grad():
            if isinstance(module, (nn.Conv2d, nn.Conv3d)):
                draw(module.weight, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, VisionEmbeddings) and self.truncated_init:
                for name in (*module.token_names, "position_embeddings"):
                    if getattr(module, name) is not None:
                        draw(getattr(module, name), std=std)
                if module.mask_token is not None:
                    module.mask_token.zero_()
            elif isinstance(module, LayerScaleLayer) and module.lambda_1 is not None:
                module.lambda_1.fill_(self.config.layer_scale_init_value)
                module.lambda_2.fill_(self.config.layer_scale_init_value)


class VisionTransformerModel:
    """The base model, mixed in before the plugin's `PreTrainedModel`: `embeddings`, `encoder`,
    a final `layernorm` (none with `config.use_mean_pooling`: the pooler or head normalises)
    and, with a `pooler_class` and `add_pooling_layer`, a `pooler`."""

    family: ClassVar[str]  # the name in error messages ("ViT")
    embeddings_class: ClassVar[type[nn.Module]] = VisionEmbeddings
    encoder_class: ClassVar[type[nn.Module]] = VisionEncoder
    #: None: no pooler, and the outputs are a `BaseModelOutput` (no `pooler_output`)
    pooler_class: ClassVar[type[nn.Module] | None] = None

    def __init__(
        self, config: Any, add_pooling_layer: bool = True, use_mask_token: bool = False
    ) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        embeddings = self.embeddings_class
        self.embeddings = (
            embeddings(config, use_mask_token) if use_mask_token else embeddings(config)
        )
        self.encoder = self.encoder_class(config)
        self.layernorm = None
        if not getattr(config, "use_mean_pooling", False):
            self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        pooler = self.pooler_class
        self.pooler = pooler(config) if pooler is not None and add_pooling_layer else None
        self.post_init()  # type: ignore[attr-defined]

    def get_input_embeddings(self) -> nn.Module:
        return self.embeddings.patch_embeddings

    def embed(
        self,
        pixel_values: torch.Tensor,
        bool_masked_pos: torch.Tensor | None,
        interpolate_pos_encoding: bool,
    ) -> torch.Tensor:
        """The encoder's input for these images."""
        return self.embeddings(pixel_values, bool_masked_pos, interpolate_pos_encoding)

    def encoder_inputs(
        self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool
    ) -> dict[str, Any]:
        """Extra keyword arguments of the encoder (e.g. the image size) for these images."""
        return {}

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
        refuse_head_mask(head_mask, self.family)
        if pixel_values is None:
            raise ConfigError(
                f"{type(self).__name__} needs pixel_values (use the model's image processor)."
            )
        interpolate = bool(interpolate_pos_encoding)
        return self.encode(
            self.embed(pixel_values, bool_masked_pos, interpolate),
            output_attentions,
            output_hidden_states,
            return_dict,
            last_layer_rows=last_layer_rows,
            **self.encoder_inputs(pixel_values, interpolate),
        )

    def encode(
        self,
        hidden: torch.Tensor,
        output_attentions: bool | None,
        output_hidden_states: bool | None,
        return_dict: bool | None,
        **encoder_kwargs: Any,
    ) -> Any:
        """The tail: encoder, final LayerNorm, pooler, outputs (`encoder_kwargs` go to the
        encoder: `attention_bias`, `last_layer_rows`, ...)."""
        output_attentions, output_hidden_states = self.output_flags(  # type: ignore[attr-defined]
            output_attentions, output_hidden_states
        )
        hidden, all_hidden, attentions = self.encoder(
            hidden,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            **encoder_kwargs,
        )
        sequence = hidden if self.layernorm is None else self.layernorm(hidden)
        fields = {"last_hidden_state": sequence, "hidden_states": all_hidden}
        if self.pooler_class is None:
            outputs = BaseModelOutput(**fields, attentions=attentions)
        else:
            pooled = self.pooler(sequence) if self.pooler is not None else None
            outputs = BaseModelOutputWithPooling(
                **fields, pooler_output=pooled, attentions=attentions
            )
        return self.model_outputs(outputs, return_dict)  # type: ignore[attr-defined]


__all__ = [
    "LayerScaleLayer",
    "VisionEmbeddings",
    "VisionEncoder",
    "VisionPreTrainedModel",
    "VisionTransformerModel",
]
