"""Blenderbot-Small in TensorFlow (Keras 3): the core's Keras BART-family block, post-norm.

Learned positions without offset; the decoder normalises its (never scaled) token embeddings
*before* adding the positions, as the reference and the PyTorch model do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras import TFPreTrainedModel, tf
from tfx_core.modeling.keras.backend import keras
from tfx_core.modeling.keras.blocks.seq2seq import LearnedPositions
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFConditionalGenerationHead
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
)
from tfx_plugin_blenderbot_small.configuration_blenderbot_small import BlenderbotSmallConfig

__all__ = ["TFBlenderbotSmallForConditionalGeneration", "TFBlenderbotSmallModel"]


class TFBlenderbotSmallLearnedPositionalEmbedding(LearnedPositions):
    offset = 0


class TFBlenderbotSmallEncoder(TFSeq2SeqEncoder):
    positions_class = TFBlenderbotSmallLearnedPositionalEmbedding


class TFBlenderbotSmallDecoder(TFSeq2SeqDecoder):
    positions_class = TFBlenderbotSmallLearnedPositionalEmbedding

    def embed(
        self,
        input_ids: Any,
        inputs_embeds: Any,
        past_length: Any,
        training: bool = False,
        position_ids: Any = None,
    ) -> Any:
        """Normalised token embeddings (never scaled) + positions."""
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if inputs_embeds is None:
            inputs_embeds = keras.layers.Embedding.call(self.embed_tokens, input_ids)
        positions = self.positions_for(input_ids, inputs_embeds, past_length, position_ids)
        hidden = self.layernorm_embedding(inputs_embeds) + tf.cast(positions, inputs_embeds.dtype)
        return self.dropout(hidden, training=training)


class TFBlenderbotSmallPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[BlenderbotSmallConfig]] = BlenderbotSmallConfig
    base_model_prefix: ClassVar[str] = "model"


class TFBlenderbotSmallModel(TFSeq2SeqModel, TFBlenderbotSmallPreTrainedModel):
    encoder_class = TFBlenderbotSmallEncoder
    decoder_class = TFBlenderbotSmallDecoder


class TFBlenderbotSmallForConditionalGeneration(
    TFConditionalGenerationHead, TFBlenderbotSmallPreTrainedModel
):
    base_model_class = TFBlenderbotSmallModel


class TFBlenderbotSmallForCausalLM(TFDecoderOnlyCausalLMHead, TFBlenderbotSmallPreTrainedModel):
    """The decoder alone as a left-to-right LM (the reference's `BlenderbotSmallForCausalLM` files)."""

    base_model_class = TFBlenderbotSmallModel
