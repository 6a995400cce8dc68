"""`OpenAIGPTConfig`: the reference's `config.json` fields for OpenAI GPT, names and defaults.

Like GPT-2, the shared fields are spelled `n_embd`, `n_layer`, `n_head`, `n_positions`
(`attribute_map` makes the core's names aliases). The activation is `afn`, where OpenAI GPT's
"gelu" is the tanh approximation (`gelu_new`), as in the original release.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

#: `afn` value -> the core activation it names (OpenAI GPT's "gelu" is the tanh form)
ACTIVATIONS = {"gelu": "gelu_new", "relu": "relu", "silu": "silu", "swish": "silu"}


class OpenAIGPTConfig(PretrainedConfig):
    """Configuration of an OpenAI GPT model (defaults: the `openai-gpt` checkpoint)."""

    model_type: ClassVar[str] = "openai-gpt"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }

    def __init__(
        self,
        vocab_size: int = 40478,
        n_positions: int = 512,
        n_embd: int = 768,
        n_layer: int = 12,
        n_head: int = 12,
        afn: str = "gelu",
        resid_pdrop: float = 0.1,
        embd_pdrop: float = 0.1,
        attn_pdrop: float = 0.1,
        layer_norm_epsilon: float = 1e-5,
        initializer_range: float = 0.02,
        summary_type: str = "cls_index",
        summary_use_proj: bool = True,
        summary_activation: str | None = None,
        summary_proj_to_labels: bool = True,
        summary_first_dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.afn = afn
        self.resid_pdrop = resid_pdrop
        self.embd_pdrop = embd_pdrop
        self.attn_pdrop = attn_pdrop
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.summary_type = summary_type
        self.summary_use_proj = summary_use_proj
        self.summary_activation = summary_activation
        self.summary_first_dropout = summary_first_dropout
        self.summary_proj_to_labels = summary_proj_to_labels
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(**kwargs)

    @property
    def mlp_activation(self) -> str:
        """The core activation name `afn` stands for."""
        return ACTIVATIONS[self.afn]

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")
        if self.n_embd % self.n_head:
            raise ConfigError(
                f"OpenAIGPTConfig: n_embd ({self.n_embd}) must be divisible by n_head "
                f"({self.n_head})."
            )
        if self.afn not in ACTIVATIONS:
            raise ConfigError(
                f"OpenAIGPTConfig field 'afn' must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.afn!r}."
            )
        self.require_probability("resid_pdrop", "embd_pdrop", "attn_pdrop")
