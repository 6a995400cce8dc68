"""`Speech2TextConfig`: the reference's `config.json` fields for Speech2Text.

The text side has the BART-family fields (`Seq2SeqConfig`); the speech side adds the
convolutional subsampler (`num_conv_layers`, `conv_kernel_sizes`, `conv_channels`,
`input_feat_per_channel`, `input_channels`) and separate position limits for the source frames
(`max_source_positions`) and the target tokens (`max_target_positions`, also readable as
`max_position_embeddings`, the name the core's decoder and generation read).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.seq2seq_config import Seq2SeqConfig


class Speech2TextConfig(Seq2SeqConfig):
    """Configuration of a Speech2Text model (defaults: the reference's, s2t-small's shape)."""

    model_type: ClassVar[str] = "speech_to_text"
    attribute_map: ClassVar[dict[str, str]] = {
        "num_attention_heads": "encoder_attention_heads",
        "hidden_size": "d_model",
        "max_position_embeddings": "max_target_positions",
    }
    field_defaults: ClassVar[dict[str, Any]] = {
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
    }

    def __init__(
        self,
        vocab_size: int = 10000,
        encoder_layers: int = 12,
        encoder_ffn_dim: int = 2048,
        encoder_attention_heads: int = 4,
        decoder_layers: int = 6,
        decoder_ffn_dim: int = 2048,
        decoder_attention_heads: int = 4,
        activation_function: str = "relu",
        d_model: int = 256,
        scale_embedding: bool = True,
        max_source_positions: int = 6000,
        max_target_positions: int = 1024,
        num_conv_layers: int = 2,
        conv_kernel_sizes: Any = (5, 5),
        conv_channels: int = 1024,
        input_feat_per_channel: int = 80,
        input_channels: int = 1,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("max_position_embeddings", None)  # an alias of max_target_positions
        self.max_source_positions = max_source_positions
        self.num_conv_layers = num_conv_layers
        self.conv_kernel_sizes = list(conv_kernel_sizes)
        self.conv_channels = conv_channels
        self.input_feat_per_channel = input_feat_per_channel
        self.input_channels = input_channels
        super().__init__(
            vocab_size=vocab_size,
            max_position_embeddings=max_target_positions,
            encoder_layers=encoder_layers,
            encoder_ffn_dim=encoder_ffn_dim,
            encoder_attention_heads=encoder_attention_heads,
            decoder_layers=decoder_layers,
            decoder_ffn_dim=decoder_ffn_dim,
            decoder_attention_heads=decoder_attention_heads,
            activation_function=activation_function,
            d_model=d_model,
            scale_embedding=scale_embedding,
            **kwargs,
        )

    def validate(self) -> None:
        super().validate()
        self.require_positive_int(
            "max_source_positions",
            "num_conv_layers",
            "conv_channels",
            "input_feat_per_channel",
            "input_channels",
        )
        sizes = self.conv_kernel_sizes
        if len(sizes) != self.num_conv_layers:
            raise ConfigError(
                f"Speech2TextConfig: 'conv_kernel_sizes' has {len(sizes)} entries but "
                f"'num_conv_layers' is {self.num_conv_layers}; give one kernel size per layer."
            )
        if any(not isinstance(k, int) or k < 1 for k in sizes):
            raise ConfigError(
                f"Speech2TextConfig: 'conv_kernel_sizes' must be positive ints, got {sizes!r}."
            )
        if self.conv_channels % 2:
            raise ConfigError(
                f"Speech2TextConfig: 'conv_channels' ({self.conv_channels}) must be even: each "
                "convolution's gated linear unit halves its channels."
            )
