"""`DebertaV2Config`: the reference's `config.json` fields for DeBERTa-v2 and v3.

Besides the encoder sizes: relative attention (`relative_attention`, `max_relative_positions`,
`position_buckets`, `pos_att_type`, `share_att_key`, `norm_rel_ebd`), whether absolute
positions are added to the input (`position_biased_input`), the convolution after the first
layer (`conv_kernel_size`, `conv_groups`, `conv_act`), the pooler, and `legacy` (which
masked-LM head layout). The v2/v3 fields that the reference reads with defaults stay optional
here too, so configs round-trip unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.disentangled_config import DisentangledConfig
from tfx_core.errors import ConfigError

#: optional fields (read with these defaults when a config.json does not set them)
OPTIONAL_FIELDS: dict[str, Any] = {
    "position_buckets": -1,
    "share_att_key": False,
    "norm_rel_ebd": "none",
    "conv_kernel_size": 0,
    "conv_groups": 1,
    "conv_act": "tanh",
}


class DebertaV2Config(DisentangledConfig):
    """Configuration of a DeBERTa-v2/v3 model (defaults: the reference's, deberta-v2-xlarge)."""

    model_type: ClassVar[str] = "deberta-v2"
    defaults: ClassVar[dict[str, int]] = {
        "vocab_size": 128100,
        "hidden_size": 1536,
        "num_hidden_layers": 24,
        "num_attention_heads": 24,
        "intermediate_size": 6144,
    }
    optional_fields: ClassVar[dict[str, Any]] = OPTIONAL_FIELDS
    int_fields: ClassVar[tuple[str, ...]] = (
        "type_vocab_size",
        "max_relative_positions",
        "position_buckets",
    )
    explicit_head_size: ClassVar[bool] = True

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        buckets = self.option("position_buckets")
        if self.relative_attention and 0 < buckets < 4:
            raise ConfigError(f"{name} field 'position_buckets' must be -1 or >= 4, got {buckets}.")
        kernel = self.option("conv_kernel_size")
        if not isinstance(kernel, int) or kernel < 0:
            raise ConfigError(f"{name} field 'conv_kernel_size' must be an int >= 0.")
        groups = self.option("conv_groups")
        if kernel and (not isinstance(groups, int) or groups < 1 or self.hidden_size % groups):
            raise ConfigError(
                f"{name} field 'conv_groups' ({groups!r}) must divide 'hidden_size' "
                f"({self.hidden_size})."
            )
