"""BEiT in PyTorch: a ViT-style encoder with relative position bias and layer scale.

The stack is the core's pre-norm ViT (`blocks.vision_transformer`: embeddings without the
size check, `LayerScaleLayer` for `lambda_1` / `lambda_2` and stochastic depth, the encoder
loop and the base-model tail); BEiT's own parts are here: the key projection without bias,
the relative position bias (per layer or shared, resized for other image sizes), mean pooling
and the heads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import MaskedLMOutput
from tfx_core.modeling.torch.blocks.patches import patch_grid_shape
from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES
from tfx_core.modeling.torch.blocks.vision_heads import ImageClassificationHead, refuse_head_mask
from tfx_core.modeling.torch.blocks.vision_transformer import (
    LayerScaleLayer,
    VisionEmbeddings,
    VisionEncoder,
    VisionPreTrainedModel,
    VisionTransformerModel,
)
from tfx_plugin_beit.configuration_beit import BeitConfig


class BeitEmbeddings(VisionEmbeddings):
    """Class token, patches (masked ones replaced), optional absolute positions; any size."""

    always_interpolate = True

    def __init__(self, config: BeitConfig, use_mask_token: bool = False) -> None:
        super().__init__(
            config,
            use_mask_token or config.use_mask_token,
            config.use_absolute_position_embeddings,
        )


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


class BeitLayer(LayerScaleLayer):
    """The layer-scale layer; the key has no bias, and the attention may have its own bias."""

    names = VIT_NAMES

    def __init__(
        self,
        config: BeitConfig,
        window_size: tuple[int, int] | None = None,
        drop_path_rate: float = 0.0,
    ) -> None:
        super().__init__(config, drop_path_rate)
        attention = self.get_submodule(VIT_NAMES.attention)
        attention.key = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        if window_size is not None:
            attention.relative_position_bias = BeitRelativePositionBias(config, window_size)

    def position_bias(
        self, window: tuple[int, int], interpolate: bool, tokens: int, shared: Any
    ) -> torch.Tensor | None:
        """This layer's attention bias: its own relative position bias plus `shared`."""
        own = getattr(self.get_submodule(VIT_NAMES.attention), "relative_position_bias", None)
        if own is None:
            return shared
        bias = own(window, interpolate, tokens)
        return bias if shared is None else bias + shared


class BeitEncoder(VisionEncoder):
    """The layers (stochastic depth rising to `drop_path_rate`) and the shared position bias."""

    def __init__(self, config: BeitConfig) -> None:
        window = patch_grid_shape(config)
        rates = torch.linspace(0, config.drop_path_rate, config.num_hidden_layers).tolist()
        own = window if config.use_relative_position_bias else None
        super().__init__(config, [BeitLayer(config, own, rate) for rate in rates])
        self.patch_size = config.patch_size
        self.relative_position_bias = None
        if config.use_shared_relative_position_bias:
            self.relative_position_bias = BeitRelativePositionBias(config, window)

    def forward(
        self,
        hidden_states: torch.Tensor,
        *,
        resolution: tuple[int, int],
        interpolate_pos_encoding: bool = False,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        """The core loop, each layer with its position bias for an image of `resolution`."""
        window = (resolution[0] // self.patch_size, resolution[1] // self.patch_size)
        tokens, shared = hidden_states.shape[1], None
        if self.relative_position_bias is not None:
            shared = self.relative_position_bias(window, interpolate_pos_encoding, tokens)
        biases = [
            layer.position_bias(window, interpolate_pos_encoding, tokens, shared)
            for layer in self.layer
        ]
        return super().forward(hidden_states, attention_bias=biases, **kwargs)


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


class BeitPreTrainedModel(VisionPreTrainedModel):
    config_class = BeitConfig
    base_model_prefix = "beit"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"relative_position_index$"]


class BeitModel(VisionTransformerModel, BeitPreTrainedModel):
    """Embeddings, encoder, the final LayerNorm (unless mean pooling) and the pooler."""

    family = "BEiT"
    embeddings_class = BeitEmbeddings
    encoder_class = BeitEncoder
    pooler_class = BeitPooler

    def encoder_inputs(
        self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool
    ) -> dict[str, Any]:
        resolution = tuple(pixel_values.shape[2:])
        return {"resolution": resolution, "interpolate_pos_encoding": interpolate_pos_encoding}


class BeitForImageClassification(ImageClassificationHead, BeitPreTrainedModel):
    """A linear classifier on the pooled output (the mean patch state, normalised)."""

    base_model_class = BeitModel
    head_input = "pooled"
    dropout_fields = None


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
        refuse_head_mask(head_mask, "BEiT")
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
