"""`VideoMAEConfig`: the reference's `config.json` fields for VideoMAE, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.vision_config import VisionTransformerConfig


class VideoMAEConfig(VisionTransformerConfig):
    """Configuration of a VideoMAE model (defaults: `MCG-NJU/videomae-base`).

    A clip of `num_frames` frames is cut into tubelets of `tubelet_size` frames x `patch_size`
    pixels squared. The `decoder_*` and `norm_pix_loss` fields describe the pre-training
    decoder, kept for round trips (tfx does not pre-train VideoMAE).
    """

    model_type: ClassVar[str] = "videomae"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "image_size",
        "patch_size",
        "num_channels",
        "num_frames",
        "tubelet_size",
    )

    def __init__(
        self,
        num_frames: int = 16,
        tubelet_size: int = 2,
        use_mean_pooling: bool = True,
        decoder_num_attention_heads: int = 6,
        decoder_hidden_size: int = 384,
        decoder_num_hidden_layers: int = 4,
        decoder_intermediate_size: int = 1536,
        norm_pix_loss: bool = True,
        **kwargs: Any,
    ) -> None:
        self.num_frames = num_frames
        self.tubelet_size = tubelet_size
        self.use_mean_pooling = use_mean_pooling
        self.decoder_num_attention_heads = decoder_num_attention_heads
        self.decoder_hidden_size = decoder_hidden_size
        self.decoder_num_hidden_layers = decoder_num_hidden_layers
        self.decoder_intermediate_size = decoder_intermediate_size
        self.norm_pix_loss = norm_pix_loss
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        if self.num_frames % self.tubelet_size:
            raise ConfigError(
                f"VideoMAEConfig: num_frames ({self.num_frames}) must be a multiple of "
                f"tubelet_size ({self.tubelet_size})."
            )
