"""`MPNetConfig`: the reference's `config.json` fields for MPNet.

The BERT-style encoder fields and their validation come from the core's `EncoderConfig`; MPNet
adds `relative_attention_num_buckets` (rows of the shared relative-position bias table) and
uses fairseq's special-token ids (`<s>` 0, `<pad>` 1, `</s>` 2). It has no token types.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.encoder_config import EncoderConfig


class MPNetConfig(EncoderConfig):
    """Configuration of an MPNet encoder (defaults: the reference's, mpnet-base)."""

    model_type: ClassVar[str] = "mpnet"
    token_defaults: ClassVar[dict[str, int | None]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }
    padding_offset_positions: ClassVar[bool] = True

    def __init__(
        self,
        vocab_size: int = 30527,
        layer_norm_eps: float = 1e-12,
        relative_attention_num_buckets: int = 32,
        **kwargs: Any,
    ) -> None:
        self.relative_attention_num_buckets = relative_attention_num_buckets
        super().__init__(vocab_size=vocab_size, layer_norm_eps=layer_norm_eps, **kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("relative_attention_num_buckets")
