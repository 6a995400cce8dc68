"""Config checks for hierarchical (multi-stage) vision encoders such as the Mix Transformer.

Their `config.json` holds one value per stage in each of `STAGE_FIELDS`; `num_attention_heads`
is such a list, so the core's size checks (which expect one int) run with it set aside.
"""

from __future__ import annotations

from collections.abc import Callable

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


__all__ = ["STAGE_FIELDS", "check_stages", "with_stage_lists"]
