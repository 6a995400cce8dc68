"""`CTRLConfig`: the reference's `config.json` fields for CTRL, with its names and defaults.

The shared fields are spelled the GPT-2 way (`n_embd`, `n_layer`, `n_head`, `n_positions`;
`attribute_map` makes the core's names aliases); `dff` is the feed-forward width.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class CTRLConfig(PretrainedConfig):
    """Configuration of a CTRL model (defaults: the `Salesforce/ctrl` checkpoint)."""

    model_type: ClassVar[str] = "ctrl"
    attribute_map: ClassVar[dict[str, str]] = {
        "max_position_embeddings": "n_positions",
        "hidden_size": "n_embd",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }

    def __init__(
        self,
        vocab_size: int = 246534,
        n_positions: int = 256,
        n_embd: int = 1280,
        dff: int = 8192,
        n_layer: int = 48,
        n_head: int = 16,
        resid_pdrop: float = 0.1,
        embd_pdrop: float = 0.1,
        layer_norm_epsilon: float = 1e-6,
        initializer_range: float = 0.02,
        use_cache: bool = True,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.dff = dff
        self.resid_pdrop = resid_pdrop
        self.embd_pdrop = embd_pdrop
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        for alias, canonical in type(self).attribute_map.items():  # core names given as kwargs
            if alias in kwargs:
                setattr(self, canonical, kwargs.pop(alias))
        super().__init__(use_cache=use_cache, **kwargs)

    @property
    def ffn_activation(self) -> str:
        """CTRL's feed-forward activation (always ReLU; not a config field)."""
        return "relu"

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("vocab_size", "n_positions", "n_embd", "dff", "n_layer", "n_head")
        if self.n_embd % self.n_head:
            raise ConfigError(
                f"CTRLConfig: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})."
            )
        self.require_probability("resid_pdrop", "embd_pdrop")
