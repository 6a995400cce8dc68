"""mT5 in TensorFlow (Keras 3): T5's Keras classes under mT5's config and class names."""

from __future__ import annotations

from tfx_plugin_t5.configuration_t5 import MT5Config
from tfx_plugin_t5.modeling_tf_t5 import (
    TFT5EncoderModel,
    TFT5ForConditionalGeneration,
    TFT5Model,
)

__all__ = ["TFMT5EncoderModel", "TFMT5ForConditionalGeneration", "TFMT5Model"]


class TFMT5Model(TFT5Model):
    config_class = MT5Config


class TFMT5ForConditionalGeneration(TFT5ForConditionalGeneration):
    config_class = MT5Config


class TFMT5EncoderModel(TFT5EncoderModel):
    config_class = MT5Config
