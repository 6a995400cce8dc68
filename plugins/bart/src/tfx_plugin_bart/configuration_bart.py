"""`BartConfig`: the reference's `config.json` fields for BART (the core's seq2seq fields)."""

from __future__ import annotations

from typing import ClassVar

from tfx_core.seq2seq_config import Seq2SeqConfig


class BartConfig(Seq2SeqConfig):
    """Configuration of a BART model (defaults: the reference's, i.e. bart-large sizes)."""

    model_type: ClassVar[str] = "bart"
