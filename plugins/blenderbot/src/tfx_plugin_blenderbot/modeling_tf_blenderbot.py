"""Blenderbot in TensorFlow (Keras 3): the core's Keras BART-family block with its switches.

Pre-norm layers, `layer_norm` after the last layer of each side, no `layernorm_embedding`, and
learned positions read at the position itself (no offset).
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq import (
    LearnedPositions,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFConditionalGenerationHead
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
)
from tfx_plugin_blenderbot.configuration_blenderbot import BlenderbotConfig

__all__ = ["TFBlenderbotForConditionalGeneration", "TFBlenderbotModel"]


class TFBlenderbotLearnedPositionalEmbedding(LearnedPositions):
    offset = 0


class TFBlenderbotEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class TFBlenderbotDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class TFBlenderbotEncoder(TFSeq2SeqEncoder):
    layer_class = TFBlenderbotEncoderLayer
    positions_class = TFBlenderbotLearnedPositionalEmbedding
    embedding_norm = False
    final_norm = True


class TFBlenderbotDecoder(TFSeq2SeqDecoder):
    layer_class = TFBlenderbotDecoderLayer
    positions_class = TFBlenderbotLearnedPositionalEmbedding
    embedding_norm = False
    final_norm = True


class TFBlenderbotPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[BlenderbotConfig]] = BlenderbotConfig
    base_model_prefix: ClassVar[str] = "model"


class TFBlenderbotModel(TFSeq2SeqModel, TFBlenderbotPreTrainedModel):
    encoder_class = TFBlenderbotEncoder
    decoder_class = TFBlenderbotDecoder


class TFBlenderbotForConditionalGeneration(
    TFConditionalGenerationHead, TFBlenderbotPreTrainedModel
):
    base_model_class = TFBlenderbotModel


class TFBlenderbotForCausalLM(TFDecoderOnlyCausalLMHead, TFBlenderbotPreTrainedModel):
    """The decoder alone as a left-to-right LM (the reference's `BlenderbotForCausalLM` files)."""

    base_model_class = TFBlenderbotModel
