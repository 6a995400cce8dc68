"""`BlenderbotConfig`: the reference's `config.json` fields for Blenderbot (the core's seq2seq
fields, with Blenderbot's defaults: blenderbot-3B's shape)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class BlenderbotConfig(Seq2SeqConfig):
    """Configuration of a Blenderbot model."""

    model_type: ClassVar[str] = "blenderbot"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 1,
        "forced_eos_token_id": 2,
        "encoder_no_repeat_ngram_size": 3,
    }

    def __init__(
        self,
        vocab_size: int = 8008,
        max_position_embeddings: int = 128,
        encoder_layers: int = 2,
        encoder_ffn_dim: int = 10240,
        encoder_attention_heads: int = 32,
        decoder_layers: int = 24,
        decoder_ffn_dim: int = 10240,
        decoder_attention_heads: int = 32,
        d_model: int = 2560,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            max_position_embeddings=max_position_embeddings,
            encoder_layers=encoder_layers,
            encoder_ffn_dim=encoder_ffn_dim,
            encoder_attention_heads=encoder_attention_heads,
            decoder_layers=decoder_layers,
            decoder_ffn_dim=decoder_ffn_dim,
            decoder_attention_heads=decoder_attention_heads,
            d_model=d_model,
            **kwargs,
        )
