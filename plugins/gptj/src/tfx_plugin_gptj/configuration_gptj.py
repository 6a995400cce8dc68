"""`GPTJConfig`: the reference's `config.json` fields for GPT-J, with its names and defaults.

GPT-J spells the shared fields the GPT-2 way (`n_embd`, `n_layer`, `n_head`, `n_positions`);
`attribute_map` makes the core's names aliases of them. `rotary_dim` is how many channels of
each head rotate (the rest pass unchanged).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class GPTJConfig(PretrainedConfig):
    """Configuration of a GPT-J model (defaults: the 6B checkpoint's shape)."""

    model_type: ClassVar[str] = "gptj"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }

    def __init__(
        self,
        vocab_size: int = 50400,
        n_positions: int = 2048,
        n_embd: int = 4096,
        n_layer: int = 28,
        n_head: int = 16,
        rotary_dim: int | None = 64,
        n_inner: int | None = None,
        activation_function: str = "gelu_new",
        resid_pdrop: float = 0.0,
        embd_pdrop: float = 0.0,
        attn_pdrop: float = 0.0,
        layer_norm_epsilon: float = 1e-5,
        initializer_range: float = 0.02,
        use_cache: bool = True,
        bos_token_id: int | None = 50256,
        eos_token_id: int | list[int] | None = 50256,
        tie_word_embeddings: bool = False,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_inner = n_inner
        self.rotary_dim = rotary_dim
        self.activation_function = activation_function
        self.resid_pdrop = resid_pdrop
        self.embd_pdrop = embd_pdrop
        self.attn_pdrop = attn_pdrop
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            use_cache=use_cache,
            tie_word_embeddings=tie_word_embeddings,
            **kwargs,
        )

    @property
    def inner_size(self) -> int:
        """Width of the MLP (`n_inner`, or 4 x `n_embd` when unset)."""
        return self.n_inner if self.n_inner is not None else 4 * self.n_embd

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")
        if self.n_inner is not None:
            self.require_positive_int("n_inner")
        if self.n_embd % self.n_head:
            raise ConfigError(
                f"GPTJConfig: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})."
            )
        head_dim = self.n_embd // self.n_head
        if self.rotary_dim is not None:
            self.require_positive_int("rotary_dim")
            if self.rotary_dim > head_dim or self.rotary_dim % 2:
                raise ConfigError(
                    f"GPTJConfig: rotary_dim ({self.rotary_dim}) must be even and at most the "
                    f"head size n_embd / n_head ({head_dim})."
                )
        self.require_probability("resid_pdrop", "embd_pdrop", "attn_pdrop")
