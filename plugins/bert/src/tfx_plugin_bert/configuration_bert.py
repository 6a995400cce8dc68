"""BertConfig: the fields of an HF BERT `config.json` that change the math.

Fields that only steer the reference's training utilities (`gradient_checkpointing`,
`chunk_size_feed_forward`, ...) are kept as unknown keys and written back unchanged.
"""

from __future__ import annotations

from typing import Any

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")


class BertConfig(PretrainedConfig):
    """BERT hyper-parameters, with the reference's names and defaults (bert-base-uncased)."""

    model_type = "bert"

    def __init__(
        self,
        vocab_size: int = 30522,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        num_attention_heads: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.1,
        max_position_embeddings: int = 512,
        type_vocab_size: int = 2,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        pad_token_id: int | None = 0,
        position_embedding_type: str = "absolute",
        classifier_dropout: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.position_embedding_type = position_embedding_type
        self.classifier_dropout = classifier_dropout
        super().__init__(pad_token_id=pad_token_id, **kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
        if self.classifier_dropout is not None:
            self.require_probability("classifier_dropout")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"BertConfig field 'hidden_size' ({self.hidden_size}) must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
        if self.position_embedding_type not in POSITION_EMBEDDING_TYPES:
            raise ConfigError(
                "BertConfig field 'position_embedding_type' must be one of "
                f"{', '.join(POSITION_EMBEDDING_TYPES)}, got {self.position_embedding_type!r}."
            )
