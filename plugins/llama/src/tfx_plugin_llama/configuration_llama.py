"""`LlamaConfig`: the reference's `config.json` fields for Llama, with its names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

ACTIVATIONS = ("silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu")


class LlamaConfig(PretrainedConfig):
    """Configuration of a Llama model (defaults: Llama-2-7B's shape)."""

    model_type: ClassVar[str] = "llama"

    def __init__(
        self,
        vocab_size: int = 32000,
        hidden_size: int = 4096,
        intermediate_size: int = 11008,
        num_hidden_layers: int = 32,
        num_attention_heads: int = 32,
        num_key_value_heads: int | None = None,
        hidden_act: str = "silu",
        max_position_embeddings: int = 2048,
        initializer_range: float = 0.02,
        rms_norm_eps: float = 1e-6,
        use_cache: bool = True,
        pad_token_id: int | None = None,
        bos_token_id: int | None = 1,
        eos_token_id: int | list[int] | None = 2,
        pretraining_tp: int = 1,
        tie_word_embeddings: bool = False,
        rope_theta: float = 10000.0,
        rope_scaling: dict[str, Any] | None = None,
        attention_bias: bool = False,
        attention_dropout: float = 0.0,
        mlp_bias: bool = False,
        head_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.num_key_value_heads = (
            num_attention_heads if num_key_value_heads is None else num_key_value_heads
        )
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.rms_norm_eps = rms_norm_eps
        self.pretraining_tp = pretraining_tp
        self.rope_theta = rope_theta
        self.rope_scaling = rope_scaling
        if isinstance(rope_scaling, dict) and "type" in rope_scaling:
            self.rope_scaling = {**rope_scaling, "rope_type": rope_scaling["type"]}
        self.attention_bias = attention_bias
        self.attention_dropout = attention_dropout
        self.mlp_bias = mlp_bias
        self.head_dim = head_dim if head_dim is not None else hidden_size // num_attention_heads
        super().__init__(
            pad_token_id=pad_token_id,
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            tie_word_embeddings=tie_word_embeddings,
            use_cache=use_cache,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "max_position_embeddings",
            "head_dim",
        )
        if self.num_attention_heads % self.num_key_value_heads != 0:
            raise ConfigError(
                f"{type(self).__name__}: num_attention_heads ({self.num_attention_heads}) must be "
                f"a multiple of num_key_value_heads ({self.num_key_value_heads})."
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ConfigError(
                f"{type(self).__name__} field 'hidden_act' must be one of "
                f"{', '.join(ACTIVATIONS)}, got {self.hidden_act!r}."
            )
        if self.pretraining_tp != 1:
            raise ConfigError(
                f"{type(self).__name__}: pretraining_tp={self.pretraining_tp} is not supported "
                "(it only changes how the reference splits matmuls); set it to 1."
            )
        if not isinstance(self.rms_norm_eps, (int, float)) or self.rms_norm_eps <= 0:
            raise ConfigError(f"rms_norm_eps must be > 0, got {self.rms_norm_eps!r}.")
        self.require_probability("attention_dropout")
        if self.rope_scaling is not None and not isinstance(self.rope_scaling, dict):
            raise ConfigError(f"rope_scaling must be a dict or null, got {self.rope_scaling!r}.")
