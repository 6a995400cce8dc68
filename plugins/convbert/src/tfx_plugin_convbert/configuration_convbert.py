"""`ConvBertConfig`: the fields of a ConvBERT `config.json`, with the reference's defaults.

Beyond BERT's fields: `embedding_size` (projected to `hidden_size` when they differ),
`head_ratio` (attention heads are `num_attention_heads // head_ratio`; the other half of the
width goes to the convolution heads), `conv_kernel_size` (odd) and `num_groups` (grouped
feed-forward projections when > 1).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig
from tfx_core.errors import ConfigError


class ConvBertConfig(EncoderConfig):
    """Configuration of a ConvBERT encoder (defaults: YituTech/conv-bert-base)."""

    model_type: ClassVar[str] = "convbert"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }

    def __init__(
        self,
        embedding_size: int = 768,
        head_ratio: int = 2,
        conv_kernel_size: int = 9,
        num_groups: int = 1,
        **kwargs: Any,
    ) -> None:
        self.embedding_size = embedding_size
        self.head_ratio = head_ratio
        self.conv_kernel_size = conv_kernel_size
        self.num_groups = num_groups
        super().__init__(**kwargs)

    @property
    def attention_heads(self) -> int:
        """The self-attention heads (as many convolution heads run beside them)."""
        return max(1, self.num_attention_heads // self.head_ratio)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("embedding_size", "head_ratio", "conv_kernel_size", "num_groups")
        if self.conv_kernel_size % 2 == 0:
            raise ConfigError(
                f"ConvBertConfig field 'conv_kernel_size' must be odd, got {self.conv_kernel_size}."
            )
        if self.hidden_size % (2 * self.attention_heads):
            raise ConfigError(
                f"ConvBertConfig: hidden_size ({self.hidden_size}) must split into "
                f"{self.attention_heads} attention and as many convolution heads "
                "(num_attention_heads // head_ratio each, of equal even width)."
            )
        if self.hidden_size % self.num_groups or self.intermediate_size % self.num_groups:
            raise ConfigError(
                f"ConvBertConfig field 'num_groups' ({self.num_groups}) must divide hidden_size "
                f"({self.hidden_size}) and intermediate_size ({self.intermediate_size})."
            )
