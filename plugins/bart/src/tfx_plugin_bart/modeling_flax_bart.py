"""BART in Flax nnx: the core's BART-family block (`tfx_core.modeling.flax.seq2seq*`) under
the reference's names, so one checkpoint serves PyTorch and Flax.

BART uses the block's defaults: post-norm layers, learned positions read at `position + 2`,
`layernorm_embedding`, no final layer norm, `final_logits_bias`; `FlaxBartModel` derives its
decoder inputs by shifting the source right.
"""

from __future__ import annotations

from tfx_core.modeling.flax.seq2seq import Seq2SeqDecoder, Seq2SeqEncoder
from tfx_core.modeling.flax.seq2seq_causal_lm import DecoderOnlyCausalLMHead
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
    Seq2SeqQuestionAnsweringHead,
    Seq2SeqSequenceClassificationHead,
)
from tfx_plugin_bart.configuration_bart import BartConfig

__all__ = [
    "FlaxBartForCausalLM",
    "FlaxBartForConditionalGeneration",
    "FlaxBartForQuestionAnswering",
    "FlaxBartForSequenceClassification",
    "FlaxBartModel",
]


class FlaxBartEncoder(Seq2SeqEncoder):
    pass


class FlaxBartDecoder(Seq2SeqDecoder):
    pass


class FlaxBartPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = BartConfig


class FlaxBartModel(FlaxSeq2SeqModel, FlaxBartPreTrainedModel):
    encoder_class = FlaxBartEncoder
    decoder_class = FlaxBartDecoder
    derive_decoder_inputs = "shift"  # decoder_input_ids default to input_ids shifted right


class FlaxBartForConditionalGeneration(ConditionalGenerationHead, FlaxBartPreTrainedModel):
    base_model_class = FlaxBartModel


class FlaxBartForSequenceClassification(Seq2SeqSequenceClassificationHead, FlaxBartPreTrainedModel):
    base_model_class = FlaxBartModel


class FlaxBartForQuestionAnswering(Seq2SeqQuestionAnsweringHead, FlaxBartPreTrainedModel):
    base_model_class = FlaxBartModel


class FlaxBartForCausalLM(DecoderOnlyCausalLMHead, FlaxBartPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxBartDecoder
