"""`SplinterConfig`: the fields of a Splinter `config.json` (BERT's, plus `question_token_id`)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class SplinterConfig(EncoderConfig):
    """Configuration of a Splinter encoder (defaults: splinter-base's sizes).

    `question_token_id` is the id of `[QUESTION]`, the token whose representation the span
    selection head compares every position with.
    """

    model_type: ClassVar[str] = "splinter"
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}

    def __init__(self, question_token_id: int = 104, **kwargs: Any) -> None:
        self.question_token_id = question_token_id
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("question_token_id")
