"""`FunnelConfig`: the fields of a Funnel Transformer `config.json` (the reference's names and
defaults, i.e. funnel-transformer/small).

The encoder is `block_sizes` blocks of layers (each layer run `block_repeats[i]` times); every
block after the first halves the sequence by pooling (`pooling_type`, keeping `[CLS]` apart
with `separate_cls`, dropping the last token first with `truncate_seq`, pooling only the
queries of the block's first layer with `pool_q_only`). The full model adds a decoder of
`num_decoder_layers` layers over the sequence upsampled back to its input length.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

POOLING_TYPES = ("mean", "max")
ATTENTION_TYPES = ("relative_shift", "factorized")


class FunnelConfig(PretrainedConfig):
    """Configuration of a Funnel Transformer (`hidden_size` is `d_model`, `num_attention_heads`
    is `n_head`; `num_hidden_layers` is the sum of `block_sizes`)."""

    model_type: ClassVar[str] = "funnel"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "d_model",
        "num_attention_heads": "n_head",
    }

    def __init__(
        self,
        vocab_size: int = 30522,
        block_sizes: list[int] | None = None,
        block_repeats: list[int] | None = None,
        num_decoder_layers: int = 2,
        d_model: int = 768,
        n_head: int = 12,
        d_head: int = 64,
        d_inner: int = 3072,
        hidden_act: str = "gelu_new",
        hidden_dropout: float = 0.1,
        attention_dropout: float = 0.1,
        activation_dropout: float = 0.0,
        initializer_range: float = 0.1,
        initializer_std: float | None = None,
        layer_norm_eps: float = 1e-9,
        pooling_type: str = "mean",
        attention_type: str = "relative_shift",
        separate_cls: bool = True,
        truncate_seq: bool = True,
        pool_q_only: bool = True,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.block_sizes = list(block_sizes) if block_sizes is not None else [4, 4, 4]
        self.block_repeats = (
            list(block_repeats) if block_repeats is not None else [1] * len(self.block_sizes)
        )
        self.num_decoder_layers = num_decoder_layers
        self.d_model = d_model
        self.n_head = n_head
        self.d_head = d_head
        self.d_inner = d_inner
        self.hidden_act = hidden_act
        self.hidden_dropout = hidden_dropout
        self.attention_dropout = attention_dropout
        self.activation_dropout = activation_dropout
        self.initializer_range = initializer_range
        self.initializer_std = initializer_std
        self.layer_norm_eps = layer_norm_eps
        self.pooling_type = pooling_type
        self.attention_type = attention_type
        self.separate_cls = separate_cls
        self.truncate_seq = truncate_seq
        self.pool_q_only = pool_q_only
        super().__init__(**kwargs)

    @property
    def num_hidden_layers(self) -> int:
        return sum(self.block_sizes)

    @property
    def num_blocks(self) -> int:
        return len(self.block_sizes)

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        self.require_positive_int(
            "vocab_size", "d_model", "n_head", "d_head", "d_inner", "num_decoder_layers"
        )
        self.require_probability("hidden_dropout", "attention_dropout", "activation_dropout")
        for field in ("block_sizes", "block_repeats"):
            value = getattr(self, field)
            if not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1024 for v in value
            ):
                raise ConfigError(
                    f"{name} field {field!r} must be a non-empty list of positive ints, "
                    f"got {value!r}."
                )
        if len(self.block_sizes) != len(self.block_repeats):
            raise ConfigError(
                f"{name} fields 'block_sizes' {self.block_sizes} and 'block_repeats' "
                f"{self.block_repeats} must have the same length (one entry per block)."
            )
        if self.d_model % 2:
            raise ConfigError(
                f"{name} field 'd_model' ({self.d_model}) must be even: the sinusoidal "
                "relative positions have d_model / 2 frequencies."
            )
        for field, allowed in (
            ("pooling_type", POOLING_TYPES),
            ("attention_type", ATTENTION_TYPES),
        ):
            if getattr(self, field) not in allowed:
                raise ConfigError(
                    f"{name} field {field!r} must be one of {', '.join(allowed)}, "
                    f"got {getattr(self, field)!r}."
                )
        for field in ("separate_cls", "truncate_seq", "pool_q_only"):
            if not isinstance(getattr(self, field), bool):
                raise ConfigError(
                    f"{name} field {field!r} must be true or false, got {getattr(self, field)!r}."
                )
