"""`BertGenerationConfig`: the reference's `config.json` fields for BertGeneration.

BERT's encoder fields without token types or a pooler; special ids `pad=0, eos=1, bos=2`.
`is_decoder` (causal self-attention, KV cache) and `add_cross_attention` (attention over an
encoder's states) make it the decoder of an encoder-decoder model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class BertGenerationConfig(PretrainedConfig):
    """Configuration of a BertGeneration model (defaults: the reference's, i.e. BERT-large)."""

    model_type: ClassVar[str] = "bert-generation"

    def __init__(
        self,
        vocab_size: int = 50358,
        hidden_size: int = 1024,
        num_hidden_layers: int = 24,
        num_attention_heads: int = 16,
        intermediate_size: int = 4096,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.1,
        max_position_embeddings: int = 512,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        pad_token_id: int | None = 0,
        bos_token_id: int | None = 2,
        eos_token_id: int | None = 1,
        position_embedding_type: str = "absolute",
        use_cache: bool = True,
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
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.position_embedding_type = position_embedding_type
        super().__init__(
            pad_token_id=pad_token_id,
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            use_cache=use_cache,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
        )
        self.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"BertGenerationConfig field 'hidden_size' ({self.hidden_size}) must be a "
                f"multiple of 'num_attention_heads' ({self.num_attention_heads})."
            )
        if self.position_embedding_type not in ("absolute", "relative_key", "relative_key_query"):
            raise ConfigError(
                "BertGenerationConfig field 'position_embedding_type' must be one of absolute, "
                f"relative_key, relative_key_query; got {self.position_embedding_type!r}."
            )
