"""Head pieces the ViT-style vision models share: the image classifier head, the class-token
pooler, the SimMIM masked-image-modeling head, its output and loss, and the `head_mask` refusal.

A plugin's head subclasses these under its own name; checkpoint names are the reference's
(`pooler.dense`, `decoder.0` for the SimMIM convolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.blocks.encoder_model import Pooler
from tfx_core.modeling.torch.heads import SequenceClassificationHead


def refuse_head_mask(head_mask: Any, model: str) -> None:
    """Raise a `ConfigError` when a `head_mask` is passed (tfx vision models take none)."""
    if head_mask is not None:
        raise ConfigError(
            f"head_mask is not supported by tfx's {model}; prune heads or mask them in the weights."
        )


@dataclass(repr=False, eq=False)
class MaskedImageModelingOutput(ModelOutput):
    loss: torch.Tensor | None = None
    reconstruction: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass(repr=False, eq=False)
class ImageClassifierOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class ImageClassificationHead(SequenceClassificationHead):
    """A sequence classifier over an image's states, answering with the reference's
    `ImageClassifierOutput`."""

    output_class = ImageClassifierOutput  # type: ignore[assignment]


class ClassTokenPooler(Pooler):
    """`pooler_act(dense(class token))` into `pooler_output_size` (ViT, DeiT)."""

    def __init__(self, config: Any) -> None:
        nn.Module.__init__(self)
        self.dense = nn.Linear(config.hidden_size, config.pooler_output_size)
        self.activation = get_activation(config.pooler_act)


def patch_grid(patches: torch.Tensor) -> torch.Tensor:
    """`[batch, patches, channels]` -> `[batch, channels, side, side]` (a square patch grid)."""
    batch, length, channels = patches.shape
    side = int(length**0.5)
    return patches.permute(0, 2, 1).reshape(batch, channels, side, side)


def masked_pixel_loss(
    pixel_values: torch.Tensor,
    reconstruction: torch.Tensor,
    bool_masked_pos: torch.Tensor,
    patch_size: int,
    side: int | None = None,
    channels: int | None = None,
) -> torch.Tensor:
    """Mean L1 error over the masked patches' pixels, per channel (`side` patches a row,
    default the image's; `channels` default the image's)."""
    side = pixel_values.shape[-1] // patch_size if side is None else side
    channels = pixel_values.shape[1] if channels is None else channels
    mask = (
        bool_masked_pos.reshape(-1, side, side)
        .repeat_interleave(patch_size, 1)
        .repeat_interleave(patch_size, 2)
        .unsqueeze(1)
        .contiguous()
    )
    error = nn.functional.l1_loss(pixel_values, reconstruction, reduction="none")
    return (error * mask).sum() / (mask.sum() + 1e-5) / channels


class SimMIMHead:
    """Masked image modeling (SimMIM), mixed in before the plugin's `PreTrainedModel`: the
    patch states through a 1x1 conv and a pixel shuffle back to pixels, with an L1 loss on
    the masked patches. The base model (`base_model_class`, masked tokens on) sits at
    `base_model_prefix`; `extra_tokens` states after the class token are not patches."""

    base_model_class: ClassVar[type[nn.Module]]
    extra_tokens: ClassVar[int] = 0

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        base = self.base_model_class(config, add_pooling_layer=False, use_mask_token=True)
        setattr(self, self.base_model_prefix, base)  # type: ignore[attr-defined]
        stride = config.encoder_stride
        self.decoder = nn.Sequential(
            nn.Conv2d(config.hidden_size, stride**2 * config.num_channels, kernel_size=1),
            nn.PixelShuffle(stride),
        )
        self.post_init()  # type: ignore[attr-defined]

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        bool_masked_pos: torch.Tensor | None = None,
        head_mask: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        """Reconstructed pixels (and, with `bool_masked_pos`, the masked-pixel loss)."""
        outputs = getattr(self, self.base_model_prefix)(  # type: ignore[attr-defined]
            pixel_values,
            bool_masked_pos=bool_masked_pos,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=True,
        )
        sequence = outputs.last_hidden_state
        patches = sequence[:, 1 : sequence.shape[1] - self.extra_tokens]
        reconstruction = self.decoder(patch_grid(patches))
        loss = None
        if bool_masked_pos is not None:
            loss = self.masked_loss(pixel_values, reconstruction, bool_masked_pos)
        return self.model_outputs(  # type: ignore[attr-defined]
            MaskedImageModelingOutput(
                loss=loss,
                reconstruction=reconstruction,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )

    def masked_loss(
        self, pixel_values: torch.Tensor, reconstruction: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        return masked_pixel_loss(pixel_values, reconstruction, mask, self.config.patch_size)  # type: ignore[attr-defined]


__all__ = [
    "ClassTokenPooler",
    "ImageClassificationHead",
    "ImageClassifierOutput",
    "MaskedImageModelingOutput",
    "SimMIMHead",
    "masked_pixel_loss",
    "patch_grid",
    "refuse_head_mask",
]
