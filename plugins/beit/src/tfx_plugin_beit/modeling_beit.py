"""BEiT in PyTorch: a ViT-style encoder with relative position bias and layer scale.

The layer builds on the core's `PreNormEncoderLayer` (ViT names; the key projection has no
bias). BEiT's own parts are here: the relative position bias (per layer or shared, resized for
other image sizes), the layer-scale factors `lambda_1` / `lambda_2` and stochastic depth, the
embeddings (absolute positions optional), mean pooling, and the heads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutputWithPooling, MaskedLMOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.patches import PatchEmbeddings, interpolate_positions
from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.vision_heads import ImageClassifierOutput, refuse_head_mask
from tfx_core.modeling.torch.losses import sequence_classification_loss
from tfx_plugin_beit.configuration_beit import BeitConfig


def _refuse_head_mask(head_mask: Any) -> None:
    refuse_head_mask(head_mask, "BEiT")


class BeitEmbeddings(nn.Module):
    """Class token, patches (masked ones replaced), optional absolute positions."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden)) if config.use_mask_token else None
        self.patch_embeddings = PatchEmbeddings(config)
        self.patch_size = config.patch_size
        self.position_embeddings = None
        if config.use_absolute_position_embeddings:
            patches = self.patch_embeddings.num_patches
            self.position_embeddings = nn.Parameter(torch.zeros(1, patches + 1, hidden))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, pixel_values: torch.Tensor, bool_masked_pos: torch.Tensor | None = None
    ) -> torch.Tensor:
        embeddings = self.patch_embeddings(pixel_values, interpolate_pos_encoding=True)
        batch, length, _ = embeddings.shape
        if bool_masked_pos is not None and self.mask_token is not None:
            masked = bool_masked_pos.unsqueeze(-1).type_as(embeddings)
            embeddings = (
                embeddings * (1 - masked) + self.mask_token.expand(batch, length, -1) * masked
            )
        embeddings = torch.cat((self.cls_token.expand(batch, -1, -1), embeddings), dim=1)
        if self.position_embeddings is not None:
            height, width = pixel_values.shape[-2:]
            embeddings = embeddings + interpolate_positions(
                self.position_embeddings, 1, height, width, self.patch_size
            )
        return self.dropout(embeddings)


@lru_cache(maxsize=10)
def relative_position_index(window: tuple[int, int]) -> torch.Tensor:
    """For every (query, key) pair of the class token and a window's patches, the row of the
    bias table: patch pairs by their 2-D offset, then class->patch, patch->class, class->class."""
    rows, cols = window
    distances = (2 * rows - 1) * (2 * cols - 1)
    coords = torch.stack(
        torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    ).flatten(1)
    offsets = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    offsets[:, :, 0] += rows - 1
    offsets[:, :, 1] += cols - 1
    offsets[:, :, 0] *= 2 * cols - 1
    index = torch.zeros((rows * cols + 1,) * 2, dtype=offsets.dtype)
    index[1:, 1:] = offsets.sum(-1)
    index[0, 0:] = distances
    index[0:, 0] = distances + 1
    index[0, 0] = distances + 2
    return index


class BeitRelativePositionBias(nn.Module):
    """A learned bias per head for each relative offset (plus three class-token entries)."""

    def __init__(self, config: BeitConfig, window_size: tuple[int, int]) -> None:
        super().__init__()
        self.window_size = tuple(window_size)
        distances = (2 * window_size[0] - 1) * (2 * window_size[1] - 1) + 3
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros(distances, config.num_attention_heads)
        )

    def forward(
        self, window: tuple[int, int], interpolate_pos_encoding: bool = False, dim_size: int = 0
    ) -> torch.Tensor:
        """`[1, heads, tokens, tokens]` for an image of `window` patches."""
        table = self.relative_position_bias_table
        old = (2 * self.window_size[0] - 1, 2 * self.window_size[1] - 1)
        new = (2 * window[0] - 1, 2 * window[1] - 1)
        offsets = table[: old[0] * old[1]].reshape(1, old[1], old[0], -1).permute(0, 3, 1, 2)
        offsets = nn.functional.interpolate(offsets, size=new, mode="bilinear")
        offsets = offsets.permute(0, 2, 3, 1).reshape(new[0] * new[1], -1)
        table = torch.cat([offsets, table[old[0] * old[1] :]])
        tokens = window[0] * window[1] + 1
        index = relative_position_index(tuple(window)).to(table.device)
        bias = table[index.view(-1)].view(tokens, tokens, -1).permute(2, 0, 1).contiguous()
        if interpolate_pos_encoding:
            bias = nn.functional.interpolate(
                bias.unsqueeze(1), size=(dim_size, dim_size), mode="bilinear", align_corners=False
            ).squeeze(1)
        return bias.unsqueeze(0)


class BeitDropPath(nn.Module):
    """Stochastic depth: drops a sample's residual branch with probability `drop_prob`."""

    def __init__(self, drop_prob: float) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0.0:
            return hidden
        keep = 1 - self.drop_prob
        shape = (hidden.shape[0],) + (1,) * (hidden.ndim - 1)
        mask = (keep + torch.rand(shape, dtype=hidden.dtype, device=hidden.device)).floor_()
        return hidden.div(keep) * mask


class BeitLayer(PreNormEncoderLayer):
    """The pre-norm layer with layer scale, drop path and an optional own position bias."""

    names = VIT_NAMES

    def __init__(
        self, config: BeitConfig, window_size: tuple[int, int] | None, drop_path_rate: float
    ) -> None:
        super().__init__(config)
        attention = self.get_submodule(VIT_NAMES.attention)
        attention.key = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        if window_size is not None:
            attention.relative_position_bias = BeitRelativePositionBias(config, window_size)
        self.drop_path = BeitDropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        scale = config.layer_scale_init_value
        self.lambda_1 = self.lambda_2 = None
        if scale > 0:
            self.lambda_1 = nn.Parameter(scale * torch.ones(config.hidden_size))
            self.lambda_2 = nn.Parameter(scale * torch.ones(config.hidden_size))

    def forward(
        self,
        hidden_states: torch.Tensor,
        shared_bias: torch.Tensor | None = None,
        output_attentions: bool = False,
        window: tuple[int, int] | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        bias = shared_bias
        own = getattr(self.get_submodule(VIT_NAMES.attention), "relative_position_bias", None)
        if own is not None:
            own_bias = own(window, interpolate_pos_encoding, hidden_states.shape[1])
            bias = own_bias if bias is None else own_bias + bias
        attended, weights = self.attention_block(
            self.layernorm_before(hidden_states), bias, False, output_attentions
        )
        if self.lambda_1 is not None:
            attended = self.lambda_1 * attended
        hidden_states = self.drop_path(attended) + hidden_states
        out = self.feed_forward_block(self.layernorm_after(hidden_states))
        if self.lambda_2 is not None:
            out = self.lambda_2 * out
        return self.drop_path(out) + hidden_states, weights


class BeitEncoder(nn.Module):
    def __init__(self, config: BeitConfig, window_size: tuple[int, int]) -> None:
        super().__init__()
        self.patch_size = config.patch_size
        self.relative_position_bias = None
        if config.use_shared_relative_position_bias:
            self.relative_position_bias = BeitRelativePositionBias(config, window_size)
        rates = torch.linspace(0, config.drop_path_rate, config.num_hidden_layers).tolist()
        own = window_size if config.use_relative_position_bias else None
        self.layer = nn.ModuleList(BeitLayer(config, own, rate) for rate in rates)

    def forward(
        self,
        hidden_states: torch.Tensor,
        resolution: tuple[int, int],
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        interpolate_pos_encoding: bool = False,
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        window = (resolution[0] // self.patch_size, resolution[1] // self.patch_size)
        all_hidden: tuple = ()
        attentions: tuple = ()
        for layer in self.layer:
            if output_hidden_states:
                all_hidden += (hidden_states,)
            shared = None
            if self.relative_position_bias is not None:
                shared = self.relative_position_bias(
                    window, interpolate_pos_encoding, hidden_states.shape[1]
                )
            hidden_states, weights = layer(
                hidden_states, shared, output_attentions, window, interpolate_pos_encoding
            )
            if output_attentions:
                attentions += (weights,)
        if output_hidden_states:
            all_hidden += (hidden_states,)
        return (
            hidden_states,
            all_hidden if output_hidden_states else None,
            attentions if output_attentions else None,
        )


class BeitPooler(nn.Module):
    """The mean of the patch states through a LayerNorm (`use_mean_pooling`), else the class token."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__()
        self.layernorm = (
            nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            if config.use_mean_pooling
            else None
        )

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if self.layernorm is not None:
            return self.layernorm(hidden_states[:, 1:, :].mean(1))
        return hidden_states[:, 0]


class BeitPreTrainedModel(PreTrainedModel):
    config_class = BeitConfig
    base_model_prefix = "beit"
    main_input_name: ClassVar[str] = "pixel_values"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"relative_position_index$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        with torch.no_grad():
            if isinstance(module, nn.Conv2d):
                module.weight.normal_(mean=0.0, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, BeitLayer) and module.lambda_1 is not None:
                module.lambda_1.fill_(self.config.layer_scale_init_value)
                module.lambda_2.fill_(self.config.layer_scale_init_value)


class BeitModel(BeitPreTrainedModel):
    """Embeddings, encoder, the final LayerNorm (unless mean pooling) and the pooler."""

    def __init__(self, config: BeitConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self.embeddings = BeitEmbeddings(config)
        self.encoder = BeitEncoder(config, self.embeddings.patch_embeddings.grid)
        self.layernorm = (
            nn.Identity()
            if config.use_mean_pooling
            else nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        )
        self.pooler = BeitPooler(config) if add_pooling_layer else None
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
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        _refuse_head_mask(head_mask)
        if pixel_values is None:
            raise ValueError("BeitModel needs pixel_values (use the model's image processor).")
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        hidden = self.embeddings(pixel_values, bool_masked_pos)
        hidden, all_hidden, attentions = self.encoder(
            hidden,
            tuple(pixel_values.shape[2:]),
            output_attentions,
            output_hidden_states,
            bool(interpolate_pos_encoding),
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


class BeitForImageClassification(BeitPreTrainedModel):
    """A linear classifier on the pooled output (the mean patch state, normalised)."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.beit = BeitModel(config, add_pooling_layer=True)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

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
        _refuse_head_mask(head_mask)
        outputs = self.beit(
            pixel_values,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=True,
        )
        logits = self.classifier(outputs.pooler_output)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        return self.model_outputs(
            ImageClassifierOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class BeitForMaskedImageModeling(BeitPreTrainedModel):
    """Predicts the visual token (`vocab_size` classes) of each masked patch."""

    def __init__(self, config: BeitConfig) -> None:
        super().__init__(config)
        self.beit = BeitModel(config, add_pooling_layer=False)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        bool_masked_pos: torch.Tensor | None = None,
        head_mask: Any = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        _refuse_head_mask(head_mask)
        outputs = self.beit(
            pixel_values,
            bool_masked_pos=bool_masked_pos,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=True,
        )
        scores = self.lm_head(self.layernorm(outputs.last_hidden_state)[:, 1:])
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(scores[bool_masked_pos], labels)
        return self.model_outputs(
            MaskedLMOutput(
                loss=loss,
                logits=scores,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )
