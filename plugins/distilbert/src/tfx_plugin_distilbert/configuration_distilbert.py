"""`DistilBertConfig`: the reference's `config.json` fields for DistilBERT, names and defaults.

DistilBERT checkpoints spell the shared fields their own way (`dim`, `n_layers`, `n_heads`,
`hidden_dim`); `attribute_map` makes the core's names (`hidden_size`, ...) aliases of them, so
both read and write the same value and files keep the DistilBERT spelling.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class DistilBertConfig(PretrainedConfig):
    """Configuration of a DistilBERT model (defaults: `distilbert-base-uncased`)."""

    model_type: ClassVar[str] = "distilbert"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "dim",
        "num_attention_heads": "n_heads",
        "num_hidden_layers": "n_layers",
        "intermediate_size": "hidden_dim",
    }

    def __init__(
        self,
        vocab_size: int = 30522,
        max_position_embeddings: int = 512,
        sinusoidal_pos_embds: bool = False,
        n_layers: int = 6,
        n_heads: int = 12,
        dim: int = 768,
        hidden_dim: int = 4 * 768,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        activation: str = "gelu",
        initializer_range: float = 0.02,
        qa_dropout: float = 0.1,
        seq_classif_dropout: float = 0.2,
        pad_token_id: int | None = 0,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.sinusoidal_pos_embds = sinusoidal_pos_embds
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dim = dim
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.initializer_range = initializer_range
        self.qa_dropout = qa_dropout
        self.seq_classif_dropout = seq_classif_dropout
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(pad_token_id=pad_token_id, **kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("vocab_size", "max_position_embeddings", "n_layers", "n_heads")
        self.require_positive_int("dim", "hidden_dim")
        if self.dim % self.n_heads:
            raise ConfigError(
                f"DistilBertConfig: dim ({self.dim}) must be divisible by n_heads ({self.n_heads})."
            )
        self.require_probability(
            "dropout", "attention_dropout", "qa_dropout", "seq_classif_dropout"
        )
