"""mT5: T5 v1.1's architecture under its own `model_type` ("mt5") and class names.

The layers and heads are T5's (modeling_t5.py); only the config class differs (a 250k
vocabulary, gated GELU, an untied `lm_head` by default), as in the reference.
"""

from __future__ import annotations

from tfx_plugin_t5.configuration_t5 import MT5Config
from tfx_plugin_t5.modeling_t5 import (
    T5EncoderModel,
    T5ForConditionalGeneration,
    T5ForQuestionAnswering,
    T5ForSequenceClassification,
    T5ForTokenClassification,
    T5Model,
)

__all__ = [
    "MT5EncoderModel",
    "MT5ForConditionalGeneration",
    "MT5ForQuestionAnswering",
    "MT5ForSequenceClassification",
    "MT5ForTokenClassification",
    "MT5Model",
]


class MT5Model(T5Model):
    config_class = MT5Config


class MT5ForConditionalGeneration(T5ForConditionalGeneration):
    config_class = MT5Config


class MT5EncoderModel(T5EncoderModel):
    config_class = MT5Config


class MT5ForSequenceClassification(T5ForSequenceClassification):
    config_class = MT5Config


class MT5ForTokenClassification(T5ForTokenClassification):
    config_class = MT5Config
    base_model_class = MT5EncoderModel


class MT5ForQuestionAnswering(T5ForQuestionAnswering):
    config_class = MT5Config
