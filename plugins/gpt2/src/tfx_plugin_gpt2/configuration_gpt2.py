"""`GPT2Config`: the reference's `config.json` fields for GPT-2, with its names and defaults.

GPT-2 checkpoints spell the shared fields their own way (`n_embd`, `n_layer`, `n_head`,
`n_positions`); `attribute_map` makes the core's names (`hidden_size`, ...) aliases of them, so
both read and write the same value and files keep the GPT-2 spelling.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

ACTIVATIONS = (
    "gelu",
    "gelu_new",
    "gelu_pytorch_tanh",
    "gelu_fast",
    "quick_gelu",
    "relu",
    "silu",
    "swish",
    "tanh",
    "mish",
)


class GPT2Config(PretrainedConfig):
    """Configuration of a GPT-2 model (defaults: the 124M `gpt2` checkpoint)."""

    model_type: ClassVar[str] = "gpt2"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }

    def __init__(
        self,
        vocab_size: int = 50257,
        n_positions: int = 1024,
        n_embd: int = 768,
        n_layer: int = 12,
        n_head: int = 12,
        n_inner: int | None = None,
        activation_function: str = "gelu_new",
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
        scale_attn_weights: bool = True,
        use_cache: bool = True,
        bos_token_id: int | None = 50256,
        eos_token_id: int | list[int] | None = 50256,
        scale_attn_by_inverse_layer_idx: bool = False,
        reorder_and_upcast_attn: bool = False,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_inner = n_inner
        self.activation_function = activation_function
        self.resid_pdrop = resid_pdrop
        self.embd_pdrop = embd_pdrop
        self.attn_pdrop = attn_pdrop
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.summary_type = summary_type
        self.summary_use_proj = summary_use_proj
        self.summary_activation = summary_activation
        self.summary_proj_to_labels = summary_proj_to_labels
        self.summary_first_dropout = summary_first_dropout
        self.scale_attn_weights = scale_attn_weights
        self.scale_attn_by_inverse_layer_idx = scale_attn_by_inverse_layer_idx
        self.reorder_and_upcast_attn = reorder_and_upcast_attn
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(
            bos_token_id=bos_token_id, eos_token_id=eos_token_id, use_cache=use_cache, **kwargs
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
        if self.n_embd % self.n_head != 0:
            raise ConfigError(
                f"GPT2Config: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})."
            )
        if self.activation_function not in ACTIVATIONS:
            raise ConfigError(
                f"GPT2Config field 'activation_function' must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.activation_function!r}."
            )
        self.require_probability("resid_pdrop", "embd_pdrop", "attn_pdrop")
        if not isinstance(self.layer_norm_epsilon, (int, float)) or self.layer_norm_epsilon <= 0:
            raise ConfigError(
                f"GPT2Config field 'layer_norm_epsilon' must be > 0, got {self.layer_norm_epsilon!r}."
            )
