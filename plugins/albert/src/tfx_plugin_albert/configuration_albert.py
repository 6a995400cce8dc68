"""`AlbertConfig`: the reference's `config.json` fields for ALBERT: the core's encoder fields,
the factorized `embedding_size`, the layer sharing (`num_hidden_groups`, `inner_group_num`)
and `classifier_dropout_prob`."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError


class AlbertConfig(EncoderConfig):
    """Configuration of an ALBERT model (defaults: the reference's, i.e. albert-xxlarge)."""

    model_type: ClassVar[str] = "albert"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 0,
        "bos_token_id": 2,
        "eos_token_id": 3,
    }

    def __init__(
        self,
        vocab_size: int = 30000,
        embedding_size: int = 128,
        hidden_size: int = 4096,
        num_hidden_layers: int = 12,
        num_hidden_groups: int = 1,
        num_attention_heads: int = 64,
        intermediate_size: int = 16384,
        inner_group_num: int = 1,
        hidden_act: str = "gelu_new",
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        classifier_dropout_prob: float | None = 0.1,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = embedding_size
        self.num_hidden_groups = num_hidden_groups
        self.inner_group_num = inner_group_num
        self.classifier_dropout_prob = classifier_dropout_prob
        super().__init__(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            hidden_act=hidden_act,
            hidden_dropout_prob=hidden_dropout_prob,
            attention_probs_dropout_prob=attention_probs_dropout_prob,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("embedding_size", "num_hidden_groups", "inner_group_num")
        if self.classifier_dropout_prob is not None:
            self.require_probability("classifier_dropout_prob")
        if self.num_hidden_layers % self.num_hidden_groups:
            raise ConfigError(
                f"AlbertConfig field 'num_hidden_layers' ({self.num_hidden_layers}) must be a "
                f"multiple of 'num_hidden_groups' ({self.num_hidden_groups}): each group serves "
                "as many consecutive layers."
            )
