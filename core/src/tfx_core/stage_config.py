"""`StageConfig`: the fields and checks of hierarchical (multi-stage) vision encoders such as
the Mix Transformer of SegFormer and GLPN.

Their `config.json` holds one value per stage in each of `STAGE_FIELDS`; `num_attention_heads`
is such a list, so the core's size checks (which expect one int) run with it set aside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

#: Fields holding one value per stage (`num_encoder_blocks` stages).
STAGE_FIELDS = (
    "depths",
    "sr_ratios",
    "hidden_sizes",
    "patch_sizes",
    "strides",
    "num_attention_heads",
    "mlp_ratios",
)


def with_stage_lists(config: PretrainedConfig, check: Callable[[], None]) -> None:
    """Run the core's `check` of sizes with `num_attention_heads` (a per-stage list) set aside."""
    heads = config.__dict__.pop("num_attention_heads")
    try:
        check()
    finally:
        config.__dict__["num_attention_heads"] = heads


def check_stages(config: PretrainedConfig) -> None:
    """One positive number per stage in each of `STAGE_FIELDS`, and widths divisible by heads.

    Raises:
        ConfigError: naming the field and the values found.
    """
    name = type(config).__name__
    config.require_positive_int("num_channels", "num_encoder_blocks", "decoder_hidden_size")
    for field in STAGE_FIELDS:
        values = getattr(config, field)
        if not isinstance(values, list) or len(values) != config.num_encoder_blocks:
            raise ConfigError(
                f"{name}: {field} needs one value per stage "
                f"(num_encoder_blocks={config.num_encoder_blocks}), got {values!r}."
            )
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 65536
            for v in values
        ):
            raise ConfigError(f"{name}: {field} must hold positive numbers, got {values!r}.")
    for width, heads in zip(config.hidden_sizes, config.num_attention_heads):
        if width % heads:
            raise ConfigError(f"{name}: hidden size {width} is not divisible by {heads} heads.")
    config.require_probability("hidden_dropout_prob", "attention_probs_dropout_prob")


class StageConfig(PretrainedConfig):
    """A Mix Transformer encoder's fields, the reference's names and defaults (MiT-b0, 4
    stages): each of `STAGE_FIELDS` has one value per stage (`num_encoder_blocks`)."""

    def __init__(
        self,
        num_channels: int = 3,
        num_encoder_blocks: int = 4,
        depths: Any = (2, 2, 2, 2),
        sr_ratios: Any = (8, 4, 2, 1),
        hidden_sizes: Any = (32, 64, 160, 256),
        patch_sizes: Any = (7, 3, 3, 3),
        strides: Any = (4, 2, 2, 2),
        num_attention_heads: Any = (1, 2, 5, 8),
        mlp_ratios: Any = (4, 4, 4, 4),
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.0,
        attention_probs_dropout_prob: float = 0.0,
        initializer_range: float = 0.02,
        drop_path_rate: float = 0.1,
        layer_norm_eps: float = 1e-6,
        decoder_hidden_size: int = 256,
        **kwargs: Any,
    ) -> None:
        self.num_channels = num_channels
        self.num_encoder_blocks = num_encoder_blocks
        self.depths = list(depths)
        self.sr_ratios = list(sr_ratios)
        self.hidden_sizes = list(hidden_sizes)
        self.patch_sizes = list(patch_sizes)
        self.strides = list(strides)
        self.num_attention_heads = list(num_attention_heads)
        self.mlp_ratios = list(mlp_ratios)
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.drop_path_rate = drop_path_rate
        self.layer_norm_eps = layer_norm_eps
        self.decoder_hidden_size = decoder_hidden_size
        super().__init__(**kwargs)

    def _validate_sizes(self) -> None:
        """The core's size checks, minus `num_attention_heads` (a list here, one per stage)."""
        with_stage_lists(self, super()._validate_sizes)

    def validate(self) -> None:
        super().validate()
        check_stages(self)


__all__ = ["STAGE_FIELDS", "StageConfig", "check_stages", "with_stage_lists"]
