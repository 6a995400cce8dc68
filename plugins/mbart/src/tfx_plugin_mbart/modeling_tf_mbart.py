"""mBART in TensorFlow (Keras 3): the core's Keras BART-family block with mBART's switches.

Pre-norm layers, `layer_norm` after the last layer of each side, and decoder inputs that start
with each row's language code (`shift_tokens_right_mbart`), as the PyTorch model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq import Seq2SeqDecoderLayer, Seq2SeqEncoderLayer
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import (
    TFConditionalGenerationHead,
    TFSeq2SeqQuestionAnsweringHead,
    TFSeq2SeqSequenceClassificationHead,
)
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
    shift_tokens_right_mbart,
)
from tfx_plugin_mbart.configuration_mbart import MBartConfig

__all__ = [
    "TFMBartForCausalLM",
    "TFMBartForConditionalGeneration",
    "TFMBartForQuestionAnswering",
    "TFMBartForSequenceClassification",
    "TFMBartModel",
]


class TFMBartEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class TFMBartDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class TFMBartEncoder(TFSeq2SeqEncoder):
    layer_class = TFMBartEncoderLayer
    final_norm = True


class TFMBartDecoder(TFSeq2SeqDecoder):
    layer_class = TFMBartDecoderLayer
    final_norm = True


class TFMBartPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[MBartConfig]] = MBartConfig
    base_model_prefix: ClassVar[str] = "model"


class TFMBartModel(TFSeq2SeqModel, TFMBartPreTrainedModel):
    encoder_class = TFMBartEncoder
    decoder_class = TFMBartDecoder

    def default_decoder_inputs(self, input_ids: Any) -> Any:
        """Without decoder inputs, the decoder reads `input_ids` with the language code first."""
        if input_ids is None:
            return super().default_decoder_inputs(input_ids)
        return shift_tokens_right_mbart(input_ids, self.config.pad_token_id)


class TFMBartForConditionalGeneration(TFConditionalGenerationHead, TFMBartPreTrainedModel):
    base_model_class = TFMBartModel

    def shift_labels(self, labels: Any) -> Any:
        return shift_tokens_right_mbart(labels, self.config.pad_token_id)


class TFMBartForSequenceClassification(TFSeq2SeqSequenceClassificationHead, TFMBartPreTrainedModel):
    base_model_class = TFMBartModel


class TFMBartForQuestionAnswering(TFSeq2SeqQuestionAnsweringHead, TFMBartPreTrainedModel):
    base_model_class = TFMBartModel


class TFMBartForCausalLM(TFDecoderOnlyCausalLMHead, TFMBartPreTrainedModel):
    """The decoder alone as a left-to-right LM (the reference's `MBartForCausalLM` files)."""

    base_model_class = TFMBartModel
