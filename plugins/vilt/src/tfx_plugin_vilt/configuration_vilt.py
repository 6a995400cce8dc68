"""`ViltConfig`: the reference's `config.json` fields for ViLT, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class ViltConfig(PretrainedConfig):
    """Configuration of a ViLT model (defaults: `dandelin/vilt-b32-mlm`).

    `image_size` is the square the patch position table was trained on; images of other sizes
    read it resized. `max_image_length` > 0 (random patch sampling, a training device) is not
    supported; `num_images` is kept for round trips (NLVR2 heads are not ported).
    """

    model_type: ClassVar[str] = "vilt"

    def __init__(
        self,
        vocab_size: int = 30522,
        type_vocab_size: int = 2,
        modality_type_vocab_size: int = 2,
        max_position_embeddings: int = 40,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        num_attention_heads: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        image_size: int = 384,
        patch_size: int = 32,
        num_channels: int = 3,
        qkv_bias: bool = True,
        max_image_length: int = -1,
        tie_word_embeddings: bool = False,
        num_images: int = -1,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.type_vocab_size = type_vocab_size
        self.modality_type_vocab_size = modality_type_vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.image_size = image_size
        self.patch_size = patch_size
        self.num_channels = num_channels
        self.qkv_bias = qkv_bias
        self.max_image_length = max_image_length
        self.num_images = num_images
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"
        )
        self.require_positive_int("image_size", "patch_size", "num_channels", "vocab_size")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"ViltConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        if isinstance(self.max_image_length, int) and self.max_image_length > 0:
            raise ConfigError(
                "ViltConfig: max_image_length > 0 samples image patches at random (a training "
                "device); tfx runs every patch: set max_image_length=-1."
            )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
