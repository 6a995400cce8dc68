"""Pegasus in Flax nnx: the core's BART-family block, pre-norm, a final layer norm on each side,
fixed sinusoidal positions (written on save, as the reference does), no embedding norm."""

from __future__ import annotations

from tfx_core.modeling.flax.seq2seq import (
    Seq2SeqDecoder,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoder,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.flax.seq2seq_causal_lm import DecoderOnlyCausalLMHead
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
)
from tfx_plugin_pegasus.configuration_pegasus import PegasusConfig

__all__ = ["FlaxPegasusForCausalLM", "FlaxPegasusForConditionalGeneration", "FlaxPegasusModel"]


class FlaxPegasusEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class FlaxPegasusDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class FlaxPegasusEncoder(Seq2SeqEncoder):
    layer_class = FlaxPegasusEncoderLayer
    positions = "sinusoidal"
    embedding_norm = False
    final_norm = True


class FlaxPegasusDecoder(Seq2SeqDecoder):
    layer_class = FlaxPegasusDecoderLayer
    positions = "sinusoidal"
    embedding_norm = False
    final_norm = True


class FlaxPegasusPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = PegasusConfig
    save_fixed_positions = True


class FlaxPegasusModel(FlaxSeq2SeqModel, FlaxPegasusPreTrainedModel):
    encoder_class = FlaxPegasusEncoder
    decoder_class = FlaxPegasusDecoder


class FlaxPegasusForConditionalGeneration(ConditionalGenerationHead, FlaxPegasusPreTrainedModel):
    base_model_class = FlaxPegasusModel


class FlaxPegasusForCausalLM(DecoderOnlyCausalLMHead, FlaxPegasusPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxPegasusDecoder
