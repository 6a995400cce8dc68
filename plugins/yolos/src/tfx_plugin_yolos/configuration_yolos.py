"""`YolosConfig`: the reference's `config.json` fields for YOLOS, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.vision_config import VisionTransformerConfig


class YolosConfig(VisionTransformerConfig):
    """Configuration of a YOLOS model (defaults: `hustvl/yolos-base`).

    `image_size` is the (height, width) the position tables were trained for; other sizes are
    read by resizing them. The matcher and loss weights are kept for round trips (tfx does not
    train YOLOS).
    """

    model_type: ClassVar[str] = "yolos"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "patch_size",
        "num_channels",
        "num_detection_tokens",
    )

    def __init__(
        self,
        image_size: Any = (512, 864),
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
        self.num_detection_tokens = num_detection_tokens
        self.use_mid_position_embeddings = use_mid_position_embeddings
        self.auxiliary_loss = auxiliary_loss
        self.class_cost = class_cost
        self.bbox_cost = bbox_cost
        self.giou_cost = giou_cost
        self.bbox_loss_coefficient = bbox_loss_coefficient
        self.giou_loss_coefficient = giou_loss_coefficient
        self.eos_coefficient = eos_coefficient
        super().__init__(image_size=image_size, **kwargs)

    def validate(self) -> None:
        size = self.image_size
        if not (
            isinstance(size, (list, tuple))
            and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            raise ConfigError(
                f"YolosConfig: image_size must be [height, width] (positive ints), got {size!r}."
            )
        super().validate()
