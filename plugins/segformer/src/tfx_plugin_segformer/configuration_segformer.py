"""`SegformerConfig`: the reference's `config.json` fields for SegFormer, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.stage_config import check_stages, with_stage_lists


class SegformerConfig(PretrainedConfig):
    """Configuration of a SegFormer model (defaults: the MiT-b0 encoder, 4 stages).

    Each of `depths`, `sr_ratios`, `hidden_sizes`, `patch_sizes`, `strides`,
    `num_attention_heads` and `mlp_ratios` has one value per stage (`num_encoder_blocks`).
    """

    model_type: ClassVar[str] = "segformer"

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
        classifier_dropout_prob: float = 0.1,
        initializer_range: float = 0.02,
        drop_path_rate: float = 0.1,
        layer_norm_eps: float = 1e-6,
        decoder_hidden_size: int = 256,
        semantic_loss_ignore_index: int = 255,
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
        self.classifier_dropout_prob = classifier_dropout_prob
        self.initializer_range = initializer_range
        self.drop_path_rate = drop_path_rate
        self.layer_norm_eps = layer_norm_eps
        self.decoder_hidden_size = decoder_hidden_size
        self.semantic_loss_ignore_index = semantic_loss_ignore_index
        self.reshape_last_stage = kwargs.pop("reshape_last_stage", True)
        super().__init__(**kwargs)

    def _validate_sizes(self) -> None:
        """The core's size checks, minus `num_attention_heads` (a list here, one per stage)."""
        with_stage_lists(self, super()._validate_sizes)

    def validate(self) -> None:
        super().validate()
        check_stages(self)
        if not self.reshape_last_stage:
            raise ConfigError(
                "SegformerConfig: reshape_last_stage=False (a deprecated layout) is not supported."
            )
        self.require_probability(
            "hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout_prob"
        )
