"""`RoFormerConfig`: the reference's `config.json` fields for RoFormer: the core's encoder
fields, `embedding_size` (None: `hidden_size`) and `rotary_value`."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError


class RoFormerConfig(EncoderConfig):
    """Configuration of a RoFormer model (defaults: the reference's, i.e. roformer-chinese-base)."""

    model_type: ClassVar[str] = "roformer"

    def __init__(
        self,
        vocab_size: int = 50000,
        embedding_size: int | None = None,
        hidden_size: int = 768,
        max_position_embeddings: int = 1536,
        rotary_value: bool = False,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = hidden_size if embedding_size is None else embedding_size
        self.rotary_value = rotary_value
        super().__init__(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            max_position_embeddings=max_position_embeddings,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("embedding_size")
        if (self.hidden_size // self.num_attention_heads) % 2:
            raise ConfigError(
                f"RoFormerConfig: the head size ({self.hidden_size} // "
                f"{self.num_attention_heads}) must be even: rotary embeddings rotate pairs."
            )
