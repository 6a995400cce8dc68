"""`GPTNeoConfig`: the reference's `config.json` fields for GPT-Neo, with its names and defaults.

GPT-Neo alternates global and local (sliding-window) attention layers. Checkpoints describe the
pattern compactly, `attention_types = [[["global", "local"], 12]]` (the pair repeated 12 times);
`attention_layers` is the expanded per-layer list the model reads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

ATTENTION_KINDS = ("global", "local")


def expand_attention_types(attention_types: Any) -> list[str]:
    """`[[["global", "local"], 2]]` -> `["global", "local", "global", "local"]` (checked)."""
    example = '[[["global", "local"], 12]]'
    if not isinstance(attention_types, (list, tuple)):
        raise ConfigError(f"GPTNeoConfig.attention_types must be a list like {example}.")
    layers: list[str] = []
    for item in attention_types:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not isinstance(item[0], (list, tuple))
            or not isinstance(item[1], int)
            or isinstance(item[1], bool)
            or item[1] < 0
        ):
            raise ConfigError(
                f"GPTNeoConfig.attention_types entries are [kinds, repeat] pairs like {example}; "
                f"got {item!r}."
            )
        layers.extend(list(item[0]) * item[1])
    return layers


class GPTNeoConfig(PretrainedConfig):
    """Configuration of a GPT-Neo model (defaults: the 1.3B checkpoint's shape)."""

    model_type: ClassVar[str] = "gpt_neo"
    attribute_map: ClassVar[dict[str, str]] = {
        "num_attention_heads": "num_heads",
        "num_hidden_layers": "num_layers",
    }

    def __init__(
        self,
        vocab_size: int = 50257,
        max_position_embeddings: int = 2048,
        hidden_size: int = 2048,
        num_layers: int = 24,
        attention_types: list | None = None,
        num_heads: int = 16,
        intermediate_size: int | None = None,
        window_size: int = 256,
        activation_function: str = "gelu_new",
        resid_dropout: float = 0.0,
        embed_dropout: float = 0.0,
        attention_dropout: float = 0.0,
        classifier_dropout: float = 0.1,
        layer_norm_epsilon: float = 1e-5,
        initializer_range: float = 0.02,
        use_cache: bool = True,
        bos_token_id: int | None = 50256,
        eos_token_id: int | list[int] | None = 50256,
        **kwargs: Any,
    ) -> None:
        num_layers = kwargs.pop("num_hidden_layers", num_layers)  # the core's names, if given
        num_heads = kwargs.pop("num_attention_heads", num_heads)
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.window_size = window_size
        self.activation_function = activation_function
        self.resid_dropout = resid_dropout
        self.embed_dropout = embed_dropout
        self.attention_dropout = attention_dropout
        self.classifier_dropout = classifier_dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        if attention_types is None:  # the reference's default pattern, sized to the layers
            attention_types = [[["global", "local"], max(num_layers // 2, 1)]]
        self.attention_types = attention_types
        # a saved `attention_layers` wins over the expansion, as in the reference
        self.attention_layers = kwargs.pop("attention_layers", None) or expand_attention_types(
            attention_types
        )
        super().__init__(
            bos_token_id=bos_token_id, eos_token_id=eos_token_id, use_cache=use_cache, **kwargs
        )

    @property
    def inner_size(self) -> int:
        """Width of the MLP: `intermediate_size`, or 4 x `hidden_size` when unset."""
        return self.intermediate_size or 4 * self.hidden_size

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size", "hidden_size", "num_layers", "num_heads", "max_position_embeddings"
        )
        self.require_positive_int("window_size")
        if self.hidden_size % self.num_heads:
            raise ConfigError(
                f"GPTNeoConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_heads ({self.num_heads})."
            )
        layers = self.attention_layers
        if not isinstance(layers, list) or len(layers) != self.num_layers:
            raise ConfigError(
                f"GPTNeoConfig: attention_types gives {len(layers)} layer kinds but num_layers is "
                f"{self.num_layers}; make attention_types describe every layer, e.g. "
                f'[[["global", "local"], {max(self.num_layers // 2, 1)}]].'
            )
        unknown = sorted({str(kind) for kind in layers} - set(ATTENTION_KINDS))
        if unknown:
            raise ConfigError(
                f"GPTNeoConfig: attention kinds must be 'global' or 'local', got {unknown}."
            )
        self.require_probability("resid_dropout", "embed_dropout", "attention_dropout")
