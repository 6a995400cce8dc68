"""`VideoMAEConfig`: the reference's `config.json` fields for VideoMAE, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class VideoMAEConfig(PretrainedConfig):
    """Configuration of a VideoMAE model (defaults: `MCG-NJU/videomae-base`).

    A clip of `num_frames` frames is cut into tubelets of `tubelet_size` frames x `patch_size`
    pixels squared. The `decoder_*` and `norm_pix_loss` fields describe the pre-training
    decoder, kept for round trips (tfx does not pre-train VideoMAE).
    """

    model_type: ClassVar[str] = "videomae"

    def __init__(
        self,
        image_size: int = 224,
        patch_size: int = 16,
        num_channels: int = 3,
        num_frames: int = 16,
        tubelet_size: int = 2,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        num_attention_heads: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        qkv_bias: bool = True,
        use_mean_pooling: bool = True,
        decoder_num_attention_heads: int = 6,
        decoder_hidden_size: int = 384,
        decoder_num_hidden_layers: int = 4,
        decoder_intermediate_size: int = 1536,
        norm_pix_loss: bool = True,
        **kwargs: Any,
    ) -> None:
        self.image_size = image_size
        self.patch_size = patch_size
        self.num_channels = num_channels
        self.num_frames = num_frames
        self.tubelet_size = tubelet_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.qkv_bias = qkv_bias
        self.use_mean_pooling = use_mean_pooling
        self.decoder_num_attention_heads = decoder_num_attention_heads
        self.decoder_hidden_size = decoder_hidden_size
        self.decoder_num_hidden_layers = decoder_num_hidden_layers
        self.decoder_intermediate_size = decoder_intermediate_size
        self.norm_pix_loss = norm_pix_loss
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"
        )
        self.require_positive_int(
            "image_size", "patch_size", "num_channels", "num_frames", "tubelet_size"
        )
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"VideoMAEConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        if self.num_frames % self.tubelet_size:
            raise ConfigError(
                f"VideoMAEConfig: num_frames ({self.num_frames}) must be a multiple of "
                f"tubelet_size ({self.tubelet_size})."
            )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
