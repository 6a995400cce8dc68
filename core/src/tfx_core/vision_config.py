"""`VisionTransformerConfig`: the config.json fields of the ViT-style encoders, written once.

ViT, DeiT, YOLOS, ViLT, VideoMAE, ... cut an image into patches and run a pre-norm transformer
over them; they share these fields, names, defaults and checks. An architecture's config class
sets its `model_type`, its own fields, and passes its defaults where they differ:

```python
class YolosConfig(VisionTransformerConfig):
    model_type = "yolos"

    def __init__(self, image_size=(512, 864), num_detection_tokens=100, **kwargs):
        self.num_detection_tokens = num_detection_tokens
        super().__init__(image_size=image_size, **kwargs)
```
No framework is imported here (configs are read at discovery).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class VisionTransformerConfig(PretrainedConfig):
    """ViT-style encoder hyper-parameters with the reference's names and defaults."""

    #: fields that must be positive ints besides the encoder's sizes
    positive_fields: ClassVar[tuple[str, ...]] = ("image_size", "patch_size", "num_channels")

    def __init__(
        self,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        num_attention_heads: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        image_size: Any = 224,
        patch_size: int = 16,
        num_channels: int = 3,
        qkv_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.image_size = list(image_size) if isinstance(image_size, (list, tuple)) else image_size
        self.patch_size = patch_size
        self.num_channels = num_channels
        self.qkv_bias = qkv_bias
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"
        )
        self.require_positive_int(*type(self).positive_fields)
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{type(self).__name__}: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")


class PooledVisionTransformerConfig(VisionTransformerConfig):
    """ViT's and DeiT's fields: the shared ones, plus the pooler and the masked-image decoder's
    stride (`pooler_output_size` defaults to `hidden_size`)."""

    def __init__(
        self,
        encoder_stride: int = 16,
        pooler_output_size: int | None = None,
        pooler_act: str = "tanh",
        **kwargs: Any,
    ) -> None:
        self.encoder_stride = encoder_stride
        self.pooler_output_size = pooler_output_size
        self.pooler_act = pooler_act
        super().__init__(**kwargs)
        self.pooler_output_size = pooler_output_size or self.hidden_size


__all__ = ["PooledVisionTransformerConfig", "VisionTransformerConfig"]
