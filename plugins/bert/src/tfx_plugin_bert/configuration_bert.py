"""BertConfig: the fields of an HF BERT `config.json` that change the math (the core's encoder
fields, `tfx_core.encoder_config`).

Fields that only steer the reference's training utilities (`gradient_checkpointing`,
`chunk_size_feed_forward`, ...) are kept as unknown keys and written back unchanged.
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.encoder_config import POSITION_EMBEDDING_TYPES, EncoderConfig

__all__ = ["POSITION_EMBEDDING_TYPES", "BertConfig"]


class BertConfig(EncoderConfig):
    """BERT hyper-parameters, with the reference's names and defaults (bert-base-uncased)."""

    model_type: ClassVar[str] = "bert"
