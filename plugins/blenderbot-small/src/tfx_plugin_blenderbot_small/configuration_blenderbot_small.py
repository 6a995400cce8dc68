"""`BlenderbotSmallConfig`: the reference's `config.json` fields for Blenderbot-Small (the core's
seq2seq fields, with its defaults: blenderbot_small-90M's shape)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class BlenderbotSmallConfig(Seq2SeqConfig):
    """Configuration of a Blenderbot-Small model."""

    model_type: ClassVar[str] = "blenderbot-small"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 1,
        "forced_eos_token_id": 2,
    }

    def __init__(
        self,
        max_position_embeddings: int = 512,
        encoder_layers: int = 8,
        encoder_ffn_dim: int = 2048,
        decoder_layers: int = 8,
        decoder_ffn_dim: int = 2048,
        d_model: int = 512,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            max_position_embeddings=max_position_embeddings,
            encoder_layers=encoder_layers,
            encoder_ffn_dim=encoder_ffn_dim,
            decoder_layers=decoder_layers,
            decoder_ffn_dim=decoder_ffn_dim,
            d_model=d_model,
            **kwargs,
        )
