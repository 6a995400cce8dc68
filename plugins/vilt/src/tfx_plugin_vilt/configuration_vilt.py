"""`ViltConfig`: the reference's `config.json` fields for ViLT, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.vision_config import VisionTransformerConfig


class ViltConfig(VisionTransformerConfig):
    """Configuration of a ViLT model (defaults: `dandelin/vilt-b32-mlm`).

    `image_size` is the square the patch position table was trained on; images of other sizes
    read it resized. `max_image_length` > 0 (random patch sampling, a training device) is not
    supported; `num_images` is kept for round trips (NLVR2 heads are not ported).
    """

    model_type: ClassVar[str] = "vilt"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "image_size",
        "patch_size",
        "num_channels",
        "vocab_size",
    )

    def __init__(
        self,
        vocab_size: int = 30522,
        type_vocab_size: int = 2,
        modality_type_vocab_size: int = 2,
        max_position_embeddings: int = 40,
        image_size: int = 384,
        patch_size: int = 32,
        max_image_length: int = -1,
        tie_word_embeddings: bool = False,
        num_images: int = -1,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.type_vocab_size = type_vocab_size
        self.modality_type_vocab_size = modality_type_vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.max_image_length = max_image_length
        self.num_images = num_images
        super().__init__(
            image_size=image_size,
            patch_size=patch_size,
            tie_word_embeddings=tie_word_embeddings,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        if isinstance(self.max_image_length, int) and self.max_image_length > 0:
            raise ConfigError(
                "ViltConfig: max_image_length > 0 samples image patches at random (a training "
                "device); tfx runs every patch: set max_image_length=-1."
            )
