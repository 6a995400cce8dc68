"""`Qwen2Config`: the reference's `config.json` fields for Qwen2, with its names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

LAYER_TYPES = ("full_attention", "sliding_attention")
ACTIVATIONS = ("silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu")


class Qwen2Config(PretrainedConfig):
    """Configuration of a Qwen2 model (defaults: the reference's)."""

    model_type: ClassVar[str] = "qwen2"

    def __init__(
        self,
        vocab_size: int = 151936,
        hidden_size: int = 4096,
        intermediate_size: int = 22016,
        num_hidden_layers: int = 32,
        num_attention_heads: int = 32,
        num_key_value_heads: int | None = 32,
        hidden_act: str = "silu",
        max_position_embeddings: int = 32768,
        initializer_range: float = 0.02,
        rms_norm_eps: float = 1e-6,
        use_cache: bool = True,
        tie_word_embeddings: bool = False,
        rope_theta: float = 10000.0,
        rope_scaling: dict[str, Any] | None = None,
        use_sliding_window: bool = False,
        sliding_window: int | None = 4096,
        max_window_layers: int = 28,
        layer_types: list[str] | None = None,
        attention_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.use_sliding_window = use_sliding_window
        self.sliding_window = sliding_window if use_sliding_window else None
        self.max_window_layers = max_window_layers
        self.num_key_value_heads = (
            num_attention_heads if num_key_value_heads is None else num_key_value_heads
        )
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta
        self.rope_scaling = rope_scaling
        if isinstance(rope_scaling, dict) and "type" in rope_scaling:
            self.rope_scaling = {**rope_scaling, "rope_type": rope_scaling["type"]}
        self.attention_dropout = attention_dropout
        self.layer_types = layer_types or [
            "sliding_attention"
            if self.sliding_window is not None and index >= max_window_layers
            else "full_attention"
            for index in range(num_hidden_layers)
        ]
        super().__init__(tie_word_embeddings=tie_word_embeddings, use_cache=use_cache, **kwargs)

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
        )
        if self.hidden_size % self.num_attention_heads != 0:
            raise ConfigError(
                f"Qwen2Config: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        if self.num_attention_heads % self.num_key_value_heads != 0:
            raise ConfigError(
                f"Qwen2Config: num_attention_heads ({self.num_attention_heads}) must be a "
                f"multiple of num_key_value_heads ({self.num_key_value_heads})."
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ConfigError(
                f"Qwen2Config field 'hidden_act' must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.hidden_act!r}."
            )
        self._validate_layer_types()
        if self.rope_scaling is not None and not isinstance(self.rope_scaling, dict):
            raise ConfigError(f"rope_scaling must be a dict or null, got {self.rope_scaling!r}.")
        self.require_probability("attention_dropout")

    def _validate_layer_types(self) -> None:
        kinds = self.layer_types
        if not isinstance(kinds, list) or len(kinds) != self.num_hidden_layers:
            raise ConfigError(
                f"Qwen2Config: layer_types must list one entry per layer "
                f"({self.num_hidden_layers}), got {kinds!r}."
            )
        unknown = sorted({kind for kind in kinds} - set(LAYER_TYPES))
        if unknown:
            raise ConfigError(
                f"Qwen2Config: unknown layer_types {unknown}; use {' or '.join(LAYER_TYPES)}."
            )
        window = self.sliding_window
        if "sliding_attention" in kinds and (
            isinstance(window, bool) or not isinstance(window, int) or window <= 0
        ):
            raise ConfigError(
                "Qwen2Config: sliding_attention layers need a positive integer sliding_window "
                f"(and use_sliding_window=true), got {window!r}."
            )
