"""`VisionEncoderDecoderConfig`: an image encoder's and a text decoder's configs in one file.

The reference's layout (`model_type: "vision-encoder-decoder"`, the sub-configs under `encoder`
and `decoder`), so image-captioning checkpoints (ViT + GPT-2, DeiT + BERT, ...) load in either
library. Only the model type differs from `EncoderDecoderConfig`.
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.encoder_decoder_config import EncoderDecoderConfig


class VisionEncoderDecoderConfig(EncoderDecoderConfig):
    """Configuration of a `VisionEncoderDecoderModel`: `encoder` and `decoder` sub-configs."""

    model_type: ClassVar[str] = "vision-encoder-decoder"


__all__ = ["VisionEncoderDecoderConfig"]
