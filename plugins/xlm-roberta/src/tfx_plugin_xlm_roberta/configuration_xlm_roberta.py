"""`XLMRobertaConfig`: the reference's `config.json` fields for XLM-RoBERTa (the core's encoder fields)."""

from __future__ import annotations

from typing import ClassVar

from tfx_core.encoder_config import EncoderConfig


class XLMRobertaConfig(EncoderConfig):
    """Configuration of a XLM-RoBERTa model (defaults: the reference's; `xlm-roberta-base` sets
    `vocab_size=250002`, `max_position_embeddings=514`, `type_vocab_size=1`,
    `layer_norm_eps=1e-5`)."""

    model_type: ClassVar[str] = "xlm-roberta"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }
    padding_offset_positions: ClassVar[bool] = True
