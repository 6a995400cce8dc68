"""`RobertaConfig`: the reference's `config.json` fields for RoBERTa (the core's encoder fields)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class RobertaConfig(EncoderConfig):
    """Configuration of a RoBERTa model (defaults: the reference's; `roberta-base` overrides
    `max_position_embeddings=514`, `type_vocab_size=1`, `layer_norm_eps=1e-5`)."""

    model_type: ClassVar[str] = "roberta"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }
    padding_offset_positions: ClassVar[bool] = True

    def __init__(self, vocab_size: int = 50265, **kwargs: Any) -> None:
        super().__init__(vocab_size=vocab_size, **kwargs)
