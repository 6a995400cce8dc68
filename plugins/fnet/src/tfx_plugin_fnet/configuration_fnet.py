"""`FNetConfig`: the reference's `config.json` fields for FNet.

FNet has no attention: sizes, `hidden_act`, dropout, `type_vocab_size` (4), and
`use_tpu_fourier_optimizations` / `tpu_short_seq_length` (the reference's DFT-matrix variant of
the same transform; tfx always runs `torch.fft`, whose result is the same).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig


class FNetConfig(PretrainedConfig):
    """Configuration of an FNet model (defaults: the reference's, fnet-base)."""

    model_type: ClassVar[str] = "fnet"

    def __init__(
        self,
        vocab_size: int = 32000,
        hidden_size: int = 768,
        num_hidden_layers: int = 12,
        intermediate_size: int = 3072,
        hidden_act: str = "gelu_new",
        hidden_dropout_prob: float = 0.1,
        max_position_embeddings: int = 512,
        type_vocab_size: int = 4,
        initializer_range: float = 0.02,
        layer_norm_eps: float = 1e-12,
        use_tpu_fourier_optimizations: bool = False,
        tpu_short_seq_length: int = 512,
        pad_token_id: int = 3,
        bos_token_id: int = 1,
        eos_token_id: int = 2,
        **kwargs: Any,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.use_tpu_fourier_optimizations = use_tpu_fourier_optimizations
        self.tpu_short_seq_length = tpu_short_seq_length
        super().__init__(
            pad_token_id=pad_token_id,
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        )
        self.require_probability("hidden_dropout_prob")
