"""`ElectraConfig`: the reference's `config.json` fields for ELECTRA: the core's encoder fields,
the factorized `embedding_size` and the `summary_*` fields of the multiple-choice head."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class ElectraConfig(EncoderConfig):
    """Configuration of an ELECTRA model (defaults: the reference's, i.e. electra-small)."""

    model_type: ClassVar[str] = "electra"

    def __init__(
        self,
        embedding_size: int = 128,
        hidden_size: int = 256,
        num_attention_heads: int = 4,
        intermediate_size: int = 1024,
        summary_type: str = "first",
        summary_use_proj: bool = True,
        summary_activation: str = "gelu",
        summary_last_dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = embedding_size
        self.summary_type = summary_type
        self.summary_use_proj = summary_use_proj
        self.summary_activation = summary_activation
        self.summary_last_dropout = summary_last_dropout
        super().__init__(
            hidden_size=hidden_size,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("embedding_size")
        self.require_probability("summary_last_dropout")
