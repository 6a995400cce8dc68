"""`DPRConfig`: the fields of a DPR `config.json` (BERT's, plus `projection_dim`)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class DPRConfig(EncoderConfig):
    """Configuration of the DPR encoders and reader (defaults: bert-base's sizes).

    `projection_dim` > 0 adds a linear projection (`encode_proj`) of the `[CLS]` vector;
    0 (the released checkpoints) uses the `[CLS]` hidden state as the embedding.
    """

    model_type: ClassVar[str] = "dpr"
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}

    def __init__(self, projection_dim: int = 0, **kwargs: Any) -> None:
        self.projection_dim = projection_dim
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        value = self.projection_dim
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            from tfx_core.errors import ConfigError

            raise ConfigError(
                f"DPRConfig field 'projection_dim' must be an int >= 0 (0: no projection), "
                f"got {value!r}."
            )
