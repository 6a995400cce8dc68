"""`MBartConfig`: the reference's `config.json` fields for mBART (the core's seq2seq fields)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class MBartConfig(Seq2SeqConfig):
    """Configuration of an mBART model (defaults: mbart-large-cc25's shape). mBART has no
    `decoder_start_token_id`: its decoder starts with the language code (`shift_tokens_right`
    wraps each row's last token to the front)."""

    model_type: ClassVar[str] = "mbart"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "forced_eos_token_id": 2,
    }
