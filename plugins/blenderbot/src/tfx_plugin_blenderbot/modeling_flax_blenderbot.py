"""Blenderbot in Flax nnx: the core's BART-family block, pre-norm, a final layer norm on each
side, no embedding norm, learned positions read at the position itself (no offset)."""

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
from tfx_plugin_blenderbot.configuration_blenderbot import BlenderbotConfig

__all__ = [
    "FlaxBlenderbotForCausalLM",
    "FlaxBlenderbotForConditionalGeneration",
    "FlaxBlenderbotModel",
]


class FlaxBlenderbotEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class FlaxBlenderbotDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class FlaxBlenderbotEncoder(Seq2SeqEncoder):
    layer_class = FlaxBlenderbotEncoderLayer
    position_offset = 0
    embedding_norm = False
    final_norm = True


class FlaxBlenderbotDecoder(Seq2SeqDecoder):
    layer_class = FlaxBlenderbotDecoderLayer
    position_offset = 0
    embedding_norm = False
    final_norm = True


class FlaxBlenderbotPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = BlenderbotConfig


class FlaxBlenderbotModel(FlaxSeq2SeqModel, FlaxBlenderbotPreTrainedModel):
    encoder_class = FlaxBlenderbotEncoder
    decoder_class = FlaxBlenderbotDecoder


class FlaxBlenderbotForConditionalGeneration(
    ConditionalGenerationHead, FlaxBlenderbotPreTrainedModel
):
    base_model_class = FlaxBlenderbotModel


class FlaxBlenderbotForCausalLM(DecoderOnlyCausalLMHead, FlaxBlenderbotPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxBlenderbotDecoder
