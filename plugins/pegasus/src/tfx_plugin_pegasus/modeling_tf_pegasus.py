"""Pegasus in TensorFlow (Keras 3): the core's Keras BART-family block with Pegasus's switches.

Pre-norm layers, `layer_norm` after the last layer of each side, no `layernorm_embedding`,
fixed sinusoidal positions (rebuilt, not read, when a checkpoint lacks them).
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq import (
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
    SinusoidalPositions,
)
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFConditionalGenerationHead
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
)
from tfx_plugin_pegasus.configuration_pegasus import PegasusConfig

__all__ = ["TFPegasusForConditionalGeneration", "TFPegasusModel"]


class TFPegasusEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class TFPegasusDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class TFPegasusEncoder(TFSeq2SeqEncoder):
    layer_class = TFPegasusEncoderLayer
    positions_class = SinusoidalPositions
    embedding_norm = False
    final_norm = True


class TFPegasusDecoder(TFSeq2SeqDecoder):
    layer_class = TFPegasusDecoderLayer
    positions_class = SinusoidalPositions
    embedding_norm = False
    final_norm = True


class TFPegasusPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[PegasusConfig]] = PegasusConfig
    base_model_prefix: ClassVar[str] = "model"
    ignore_missing_keys: ClassVar[list[str]] = [r"embed_positions\.weight$", r"final_logits_bias$"]


class TFPegasusModel(TFSeq2SeqModel, TFPegasusPreTrainedModel):
    encoder_class = TFPegasusEncoder
    decoder_class = TFPegasusDecoder


class TFPegasusForConditionalGeneration(TFConditionalGenerationHead, TFPegasusPreTrainedModel):
    base_model_class = TFPegasusModel


class TFPegasusForCausalLM(TFDecoderOnlyCausalLMHead, TFPegasusPreTrainedModel):
    """The decoder alone as a left-to-right LM (the reference's `PegasusForCausalLM` files)."""

    base_model_class = TFPegasusModel
