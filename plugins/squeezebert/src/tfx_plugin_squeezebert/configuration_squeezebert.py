"""`SqueezeBertConfig`: the fields of a SqueezeBERT `config.json`, with the reference's defaults.

Beyond BERT's fields: `embedding_size` (must equal `hidden_size`) and the number of groups of
each grouped convolution (`q_groups`, `k_groups`, `v_groups`, `post_attention_groups`,
`intermediate_groups`, `output_groups`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError

GROUP_FIELDS = (
    "q_groups",
    "k_groups",
    "v_groups",
    "post_attention_groups",
    "intermediate_groups",
    "output_groups",
)


class SqueezeBertConfig(EncoderConfig):
    """Configuration of a SqueezeBERT encoder (defaults: squeezebert-uncased)."""

    model_type: ClassVar[str] = "squeezebert"
    token_defaults: ClassVar[dict[str, int | None]] = {"pad_token_id": 0}

    def __init__(
        self,
        embedding_size: int = 768,
        q_groups: int = 4,
        k_groups: int = 4,
        v_groups: int = 4,
        post_attention_groups: int = 1,
        intermediate_groups: int = 4,
        output_groups: int = 4,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = embedding_size
        self.q_groups = q_groups
        self.k_groups = k_groups
        self.v_groups = v_groups
        self.post_attention_groups = post_attention_groups
        self.intermediate_groups = intermediate_groups
        self.output_groups = output_groups
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("embedding_size", *GROUP_FIELDS)
        if self.embedding_size != self.hidden_size:
            raise ConfigError(
                f"SqueezeBertConfig needs embedding_size == hidden_size, got "
                f"{self.embedding_size} and {self.hidden_size}."
            )
        widths = {
            "q_groups": self.hidden_size,
            "k_groups": self.hidden_size,
            "v_groups": self.hidden_size,
            "post_attention_groups": self.hidden_size,
            "intermediate_groups": self.intermediate_size,
            "output_groups": self.intermediate_size,
        }
        for field, width in widths.items():
            groups = getattr(self, field)
            if width % groups or self.hidden_size % groups:
                raise ConfigError(
                    f"SqueezeBertConfig field {field!r} ({groups}) must divide the channels of "
                    f"its convolution ({width} in, {self.hidden_size} or "
                    f"{self.intermediate_size} out)."
                )
