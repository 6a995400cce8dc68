"""`LayoutLMConfig`: the fields of a LayoutLM `config.json`, with the reference's defaults.

The BERT-style encoder fields and their validation come from the core's `EncoderConfig`;
LayoutLM adds `max_2d_position_embeddings`, the size of the tables its bounding-box
coordinates (0 ... 1000 in the checkpoints) index.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class LayoutLMConfig(EncoderConfig):
    """Configuration of a LayoutLM encoder (defaults: layoutlm-base-uncased's sizes)."""

    model_type: ClassVar[str] = "layoutlm"
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}

    def __init__(self, max_2d_position_embeddings: int = 1024, **kwargs: Any) -> None:
        self.max_2d_position_embeddings = max_2d_position_embeddings
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("max_2d_position_embeddings")
