"""BART in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

Everything but the names is the core's Keras BART-family block (`keras.blocks.seq2seq*`) with
BART's defaults: post-norm layers, learned positions at offset 2, `layernorm_embedding`, no
final layer norm, `final_logits_bias`; decoder inputs default to the inputs shifted right.
`TFBartForConditionalGeneration.generate` runs the core's XLA-compiled seq2seq loops;
`TFBartForCausalLM` is the decoder alone, with the decoder-only loops.
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import (
    TFConditionalGenerationHead,
    TFSeq2SeqQuestionAnsweringHead,
    TFSeq2SeqSequenceClassificationHead,
)
from tfx_core.modeling.keras.blocks.seq2seq_model import TFSeq2SeqModel
from tfx_plugin_bart.configuration_bart import BartConfig

__all__ = [
    "TFBartForCausalLM",
    "TFBartForConditionalGeneration",
    "TFBartForQuestionAnswering",
    "TFBartForSequenceClassification",
    "TFBartModel",
    "TFBartPreTrainedModel",
]


class TFBartPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[BartConfig]] = BartConfig
    base_model_prefix: ClassVar[str] = "model"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(en|de)coder\.version$"]


class TFBartModel(TFSeq2SeqModel, TFBartPreTrainedModel):
    derive_decoder_inputs = True  # decoder_input_ids default to input_ids shifted right


class TFBartForConditionalGeneration(TFConditionalGenerationHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel


class TFBartForSequenceClassification(TFSeq2SeqSequenceClassificationHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel


class TFBartForQuestionAnswering(TFSeq2SeqQuestionAnsweringHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel


class TFBartForCausalLM(TFDecoderOnlyCausalLMHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel
