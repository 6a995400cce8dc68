"""mBART in Flax nnx: the core's BART-family block with pre-norm layers and a final layer norm
on each side; decoder inputs derived with mBART's language-code shift."""

from __future__ import annotations

from typing import Any

from tfx_core.modeling.flax.seq2seq import (
    Seq2SeqDecoder,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoder,
    Seq2SeqEncoderLayer,
    shift_tokens_right_mbart,
)
from tfx_core.modeling.flax.seq2seq_causal_lm import DecoderOnlyCausalLMHead
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
    Seq2SeqQuestionAnsweringHead,
    Seq2SeqSequenceClassificationHead,
)
from tfx_plugin_mbart.configuration_mbart import MBartConfig

__all__ = [
    "FlaxMBartForCausalLM",
    "FlaxMBartForConditionalGeneration",
    "FlaxMBartForQuestionAnswering",
    "FlaxMBartForSequenceClassification",
    "FlaxMBartModel",
]


class FlaxMBartEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class FlaxMBartDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class FlaxMBartEncoder(Seq2SeqEncoder):
    layer_class = FlaxMBartEncoderLayer
    final_norm = True


class FlaxMBartDecoder(Seq2SeqDecoder):
    layer_class = FlaxMBartDecoderLayer
    final_norm = True


class FlaxMBartPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = MBartConfig


class FlaxMBartModel(FlaxSeq2SeqModel, FlaxMBartPreTrainedModel):
    encoder_class = FlaxMBartEncoder
    decoder_class = FlaxMBartDecoder
    derive_decoder_inputs = "mbart"  # the inputs with each row's language code first


class FlaxMBartForConditionalGeneration(ConditionalGenerationHead, FlaxMBartPreTrainedModel):
    base_model_class = FlaxMBartModel

    def shift_labels(self, labels: Any) -> Any:
        return shift_tokens_right_mbart(labels, self.config.pad_token_id)


class FlaxMBartForSequenceClassification(
    Seq2SeqSequenceClassificationHead, FlaxMBartPreTrainedModel
):
    base_model_class = FlaxMBartModel


class FlaxMBartForQuestionAnswering(Seq2SeqQuestionAnsweringHead, FlaxMBartPreTrainedModel):
    base_model_class = FlaxMBartModel


class FlaxMBartForCausalLM(DecoderOnlyCausalLMHead, FlaxMBartPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxMBartDecoder
