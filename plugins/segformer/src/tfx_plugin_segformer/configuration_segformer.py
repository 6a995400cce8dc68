"""`SegformerConfig`: the reference's `config.json` fields for SegFormer, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.stage_config import StageConfig


class SegformerConfig(StageConfig):
    """Configuration of a SegFormer model (defaults: the MiT-b0 encoder, 4 stages).

    Each of `depths`, `sr_ratios`, `hidden_sizes`, `patch_sizes`, `strides`,
    `num_attention_heads` and `mlp_ratios` has one value per stage (`num_encoder_blocks`).
    """

    model_type: ClassVar[str] = "segformer"

    def __init__(
        self,
        classifier_dropout_prob: float = 0.1,
        semantic_loss_ignore_index: int = 255,
        **kwargs: Any,
    ) -> None:
        self.classifier_dropout_prob = classifier_dropout_prob
        self.semantic_loss_ignore_index = semantic_loss_ignore_index
        self.reshape_last_stage = kwargs.pop("reshape_last_stage", True)
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        if not self.reshape_last_stage:
            raise ConfigError(
                "SegformerConfig: reshape_last_stage=False (a deprecated layout) is not supported."
            )
        self.require_probability("classifier_dropout_prob")
