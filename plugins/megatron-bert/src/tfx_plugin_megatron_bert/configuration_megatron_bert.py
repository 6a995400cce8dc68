"""`MegatronBertConfig`: the reference's `config.json` fields for Megatron-BERT (the core's
encoder fields; the reference's defaults are those of megatron-bert-345m)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class MegatronBertConfig(EncoderConfig):
    """Configuration of a Megatron-BERT model."""

    model_type: ClassVar[str] = "megatron-bert"

    def __init__(
        self,
        vocab_size: int = 29056,
        hidden_size: int = 1024,
        num_hidden_layers: int = 24,
        num_attention_heads: int = 16,
        intermediate_size: int = 4096,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            **kwargs,
        )
