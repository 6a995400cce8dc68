"""`IBertConfig`: the reference's `config.json` fields for I-BERT.

RoBERTa's fields (the core's `EncoderConfig`, positions numbered after `pad_token_id`) plus
I-BERT's own: `quant_mode` (integer-only inference; tfx runs `False` only, and a model built
from a config with `True` is refused with the reason) and `force_dequant` (which nonlinear
layers stay in floating point in quant mode).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError

FORCE_DEQUANT = ("none", "gelu", "softmax", "layernorm", "nonlinear")


class IBertConfig(EncoderConfig):
    """Configuration of an I-BERT encoder (defaults: the reference's, roberta-base sizes)."""

    model_type: ClassVar[str] = "ibert"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }
    padding_offset_positions: ClassVar[bool] = True

    def __init__(
        self, quant_mode: bool = False, force_dequant: str = "none", **kwargs: Any
    ) -> None:
        self.quant_mode = quant_mode
        self.force_dequant = force_dequant
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        if self.force_dequant not in FORCE_DEQUANT:
            raise ConfigError(
                f"{type(self).__name__} field 'force_dequant' must be one of "
                f"{', '.join(FORCE_DEQUANT)}, got {self.force_dequant!r}."
            )
