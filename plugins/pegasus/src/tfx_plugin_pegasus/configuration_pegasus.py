"""`PegasusConfig`: the reference's `config.json` fields for Pegasus (the core's seq2seq fields)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class PegasusConfig(Seq2SeqConfig):
    """Configuration of a Pegasus model (defaults: the reference's, pegasus-large's shape)."""

    model_type: ClassVar[str] = "pegasus"
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "forced_eos_token_id": 1,
    }
