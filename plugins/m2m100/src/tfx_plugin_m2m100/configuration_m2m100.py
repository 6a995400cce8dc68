"""`M2M100Config`: the reference's `config.json` fields for M2M100 (the core's seq2seq fields)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class M2M100Config(Seq2SeqConfig):
    """Configuration of an M2M100 model (defaults: the reference's, m2m100_418M's shape)."""

    model_type: ClassVar[str] = "m2m_100"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
    }

    def __init__(
        self,
        vocab_size: int = 128112,
        encoder_layerdrop: float = 0.05,
        decoder_layerdrop: float = 0.05,
        activation_function: str = "relu",
        attention_dropout: float = 0.1,
        scale_embedding: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            encoder_layerdrop=encoder_layerdrop,
            decoder_layerdrop=decoder_layerdrop,
            activation_function=activation_function,
            attention_dropout=attention_dropout,
            scale_embedding=scale_embedding,
            **kwargs,
        )
