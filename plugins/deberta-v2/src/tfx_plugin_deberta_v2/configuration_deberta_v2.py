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

from tfx_core.config import PretrainedConfig
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


def pos_att_types(value: Any, owner: str) -> list[str]:
    """`pos_att_type` as a list ("p2c|c2p" in old configs); unknown kinds are refused."""
    if value is None:
        return []
    kinds = [x.strip() for x in value.lower().split("|")] if isinstance(value, str) else value
    if not isinstance(kinds, list) or any(k not in ("c2p", "p2c", "p2p") for k in kinds):
        raise ConfigError(
            f"{owner} field 'pos_att_type' must list 'c2p' and/or 'p2c', got {value!r}."
        )
    return kinds


class DebertaV2Config(PretrainedConfig):
    """Configuration of a DeBERTa-v2/v3 model (defaults: the reference's, deberta-v2-xlarge)."""

    model_type: ClassVar[str] = "deberta-v2"

    def __init__(
        self,
        vocab_size: int = 128100,
        hidden_size: int = 1536,
        num_hidden_layers: int = 24,
        num_attention_heads: int = 24,
        intermediate_size: int = 6144,
        hidden_act: str = "gelu",
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.1,
        max_position_embeddings: int = 512,
        type_vocab_size: int = 0,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-7,
        relative_attention: bool = False,
        max_relative_positions: int = -1,
        pad_token_id: int = 0,
        position_biased_input: bool = True,
        pos_att_type: list[str] | str | None = None,
        pooler_dropout: float = 0.0,
        pooler_hidden_act: str = "gelu",
        legacy: bool = True,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.relative_attention = relative_attention
        self.max_relative_positions = max_relative_positions
        self.position_biased_input = position_biased_input
        self.pos_att_type = pos_att_types(pos_att_type, type(self).__name__)
        self.pooler_hidden_size = kwargs.pop("pooler_hidden_size", hidden_size)
        self.pooler_dropout = pooler_dropout
        self.pooler_hidden_act = pooler_hidden_act
        self.legacy = legacy
        super().__init__(pad_token_id=pad_token_id, **kwargs)

    def option(self, name: str) -> Any:
        """An optional v2/v3 field (see `OPTIONAL_FIELDS`), or its default."""
        return self.__dict__.get(name, OPTIONAL_FIELDS[name])

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "pooler_hidden_size",
        )
        self.require_probability(
            "hidden_dropout_prob", "attention_probs_dropout_prob", "pooler_dropout"
        )
        name = type(self).__name__
        for field in ("type_vocab_size", "max_relative_positions", "position_buckets"):
            value = getattr(self, field, OPTIONAL_FIELDS.get(field))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{name} field {field!r} must be an int, got {value!r}.")
        if self.type_vocab_size < 0:
            raise ConfigError(f"{name} field 'type_vocab_size' must be >= 0.")
        if self.pooler_hidden_size != self.hidden_size:
            raise ConfigError(
                f"{name} field 'pooler_hidden_size' ({self.pooler_hidden_size}) must equal "
                f"'hidden_size' ({self.hidden_size}): the pooler reads the first token's state."
            )
        head_size = getattr(self, "attention_head_size", None)
        if head_size is None and self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{name} field 'hidden_size' ({self.hidden_size}) must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
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
