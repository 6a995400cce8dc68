"""`YolosConfig`: the reference's `config.json` fields for YOLOS, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class YolosConfig(PretrainedConfig):
    """Configuration of a YOLOS model (defaults: `hustvl/yolos-base`).

    `image_size` is the (height, width) the position tables were trained for; other sizes are
    read by resizing them. The matcher and loss weights are kept for round trips (tfx does not
    train YOLOS).
    """

    model_type: ClassVar[str] = "yolos"

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
        image_size: Any = (512, 864),
        patch_size: int = 16,
        num_channels: int = 3,
        qkv_bias: bool = True,
        num_detection_tokens: int = 100,
        use_mid_position_embeddings: bool = True,
        auxiliary_loss: bool = False,
        class_cost: float = 1,
        bbox_cost: float = 5,
        giou_cost: float = 2,
        bbox_loss_coefficient: float = 5,
        giou_loss_coefficient: float = 2,
        eos_coefficient: float = 0.1,
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
        self.num_detection_tokens = num_detection_tokens
        self.use_mid_position_embeddings = use_mid_position_embeddings
        self.auxiliary_loss = auxiliary_loss
        self.class_cost = class_cost
        self.bbox_cost = bbox_cost
        self.giou_cost = giou_cost
        self.bbox_loss_coefficient = bbox_loss_coefficient
        self.giou_loss_coefficient = giou_loss_coefficient
        self.eos_coefficient = eos_coefficient
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"
        )
        self.require_positive_int("patch_size", "num_channels", "num_detection_tokens")
        size = self.image_size
        if not (
            isinstance(size, (list, tuple))
            and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            raise ConfigError(
                f"YolosConfig: image_size must be [height, width] (positive ints), got {size!r}."
            )
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"YolosConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
