"""`DisentangledConfig`: the `config.json` fields DeBERTa (v1) and DeBERTa-v2/v3 share.

Besides the encoder sizes: relative attention (`relative_attention`, `max_relative_positions`,
`pos_att_type`), whether absolute positions are added to the input (`position_biased_input`),
the pooler, and `legacy` (which masked-LM head layout). Token types are optional
(`type_vocab_size=0`, the family's default). A plugin's config subclass sets `model_type`, its
defaults (`defaults`) and validates its own extra fields.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


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


class DisentangledConfig(PretrainedConfig):
    """Fields of a DeBERTa-family encoder; `defaults` holds the size defaults of a subclass."""

    #: the sizes a subclass defaults to (its reference's default checkpoint)
    defaults: ClassVar[dict[str, int]] = {
        "vocab_size": 50265,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    }
    #: fields validated as ints (a subclass adds its own)
    int_fields: ClassVar[tuple[str, ...]] = ("type_vocab_size", "max_relative_positions")
    #: optional fields (read with these defaults when a config.json does not set them)
    optional_fields: ClassVar[dict[str, Any]] = {}
    #: whether an explicit `attention_head_size` may replace `hidden_size / heads` (v2)
    explicit_head_size: ClassVar[bool] = False

    def __init__(
        self,
        vocab_size: int | None = None,
        hidden_size: int | None = None,
        num_hidden_layers: int | None = None,
        num_attention_heads: int | None = None,
        intermediate_size: int | None = None,
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
        sizes = {
            "vocab_size": vocab_size,
            "hidden_size": hidden_size,
            "num_hidden_layers": num_hidden_layers,
            "num_attention_heads": num_attention_heads,
            "intermediate_size": intermediate_size,
        }
        for field, value in sizes.items():
            setattr(self, field, self.defaults[field] if value is None else value)
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
        self.pooler_hidden_size = kwargs.pop("pooler_hidden_size", self.hidden_size)
        self.pooler_dropout = pooler_dropout
        self.pooler_hidden_act = pooler_hidden_act
        self.legacy = legacy
        super().__init__(pad_token_id=pad_token_id, **kwargs)

    def option(self, name: str) -> Any:
        """An optional field of the subclass's `optional_fields`, or its default."""
        return self.__dict__.get(name, self.optional_fields[name])

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
        for field in self.int_fields:
            value = getattr(self, field, self.optional_fields.get(field))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{name} field {field!r} must be an int, got {value!r}.")
        if self.type_vocab_size < 0:
            raise ConfigError(f"{name} field 'type_vocab_size' must be >= 0.")
        if self.pooler_hidden_size != self.hidden_size:
            raise ConfigError(
                f"{name} field 'pooler_hidden_size' ({self.pooler_hidden_size}) must equal "
                f"'hidden_size' ({self.hidden_size}): the pooler reads the first token's state."
            )
        explicit = self.explicit_head_size and hasattr(self, "attention_head_size")
        if not explicit and self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{name} field 'hidden_size' ({self.hidden_size}) must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
