"""Blenderbot-Small in Flax nnx: the core's BART-family block, post-norm, learned positions with
no offset; the decoder normalizes its (never scaled) token embeddings before adding positions."""

from __future__ import annotations

from typing import Any

from tfx_core.modeling.flax.seq2seq import Seq2SeqDecoder, Seq2SeqEncoder
from tfx_core.modeling.flax.seq2seq_causal_lm import DecoderOnlyCausalLMHead
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
)
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_plugin_blenderbot_small.configuration_blenderbot_small import BlenderbotSmallConfig

__all__ = [
    "FlaxBlenderbotSmallForCausalLM",
    "FlaxBlenderbotSmallForConditionalGeneration",
    "FlaxBlenderbotSmallModel",
]


class FlaxBlenderbotSmallEncoder(Seq2SeqEncoder):
    position_offset = 0


class FlaxBlenderbotSmallDecoder(Seq2SeqDecoder):
    position_offset = 0

    def embed(self, input_ids: Any, inputs_embeds: Any, positions: Any, shared: Any) -> Any:
        """Normalized token embeddings (never scaled, as in the reference) + positions."""
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if inputs_embeds is None:
            table = self.embed_tokens if self.embed_tokens is not None else shared
            inputs_embeds = table(input_ids)
        hidden = self.layernorm_embedding(inputs_embeds)
        hidden = hidden + self.position_embeddings(input_ids, positions).astype(hidden.dtype)
        return self.dropout(hidden)


class FlaxBlenderbotSmallPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = BlenderbotSmallConfig


class FlaxBlenderbotSmallModel(FlaxSeq2SeqModel, FlaxBlenderbotSmallPreTrainedModel):
    encoder_class = FlaxBlenderbotSmallEncoder
    decoder_class = FlaxBlenderbotSmallDecoder


class FlaxBlenderbotSmallForConditionalGeneration(
    ConditionalGenerationHead, FlaxBlenderbotSmallPreTrainedModel
):
    base_model_class = FlaxBlenderbotSmallModel


class FlaxBlenderbotSmallForCausalLM(DecoderOnlyCausalLMHead, FlaxBlenderbotSmallPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxBlenderbotSmallDecoder
