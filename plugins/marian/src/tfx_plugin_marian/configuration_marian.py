"""`MarianConfig`: the reference's `config.json` fields for MarianMT (the core's seq2seq fields)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class MarianConfig(Seq2SeqConfig):
    """Configuration of a MarianMT model (defaults: the reference's, opus-mt sizes). The decoder
    may have its own vocabulary (`decoder_vocab_size`, `share_encoder_decoder_embeddings=False`)."""

    model_type: ClassVar[str] = "marian"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 58100,
        "eos_token_id": 0,
        "decoder_start_token_id": 58100,
        "forced_eos_token_id": 0,
    }

    def __init__(
        self,
        vocab_size: int = 58101,
        decoder_vocab_size: int | None = None,
        share_encoder_decoder_embeddings: bool = True,
        **kwargs: Any,
    ) -> None:
        self.decoder_vocab_size = decoder_vocab_size or vocab_size
        self.share_encoder_decoder_embeddings = share_encoder_decoder_embeddings
        super().__init__(vocab_size=vocab_size, **kwargs)
