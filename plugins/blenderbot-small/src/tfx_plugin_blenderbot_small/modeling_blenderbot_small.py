"""Blenderbot-Small: BART's post-norm encoder-decoder with learned positions and no offset.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`). What is
Blenderbot-Small's own: positions read at the position itself (no fairseq offset of 2), and in
the decoder `layernorm_embedding` normalizes the token embeddings *before* the positions are
added, and the decoder's token embeddings are never scaled by sqrt(d_model) (the encoder
normalizes the sum of scaled embeddings and positions, as BART does).
"""

from __future__ import annotations

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqAttention,
    Seq2SeqCrossAttention,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import LearnedPositions, ScaledEmbedding
from tfx_core.modeling.torch.blocks.seq2seq_heads import (
    ConditionalGenerationHead,
    DecoderOnlyCausalLMHead,
    DecoderWrapper,
)
from tfx_core.modeling.torch.blocks.seq2seq_model import (
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    Seq2SeqModel,
    Seq2SeqPreTrainedModel,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_blenderbot_small.configuration_blenderbot_small import BlenderbotSmallConfig

__all__ = [
    "BlenderbotSmallDecoder",
    "BlenderbotSmallEncoder",
    "BlenderbotSmallForCausalLM",
    "BlenderbotSmallForConditionalGeneration",
    "BlenderbotSmallModel",
    "BlenderbotSmallPreTrainedModel",
]


class BlenderbotSmallLearnedPositionalEmbedding(LearnedPositions):
    """Learned positions, read at the position itself (no offset)."""

    offset = 0


class BlenderbotSmallScaledWordEmbedding(ScaledEmbedding):
    """Token embeddings, times sqrt(d_model) when `scale_embedding`."""


@trusted_forward
class BlenderbotSmallAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class BlenderbotSmallCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class BlenderbotSmallEncoderLayer(Seq2SeqEncoderLayer):
    attention_class = BlenderbotSmallAttention


@trusted_forward
class BlenderbotSmallDecoderLayer(Seq2SeqDecoderLayer):
    attention_class = BlenderbotSmallAttention
    cross_attention_class = BlenderbotSmallCrossAttention


class BlenderbotSmallEncoder(Seq2SeqEncoder):
    layer_class = BlenderbotSmallEncoderLayer
    positions_class = BlenderbotSmallLearnedPositionalEmbedding


class BlenderbotSmallDecoder(Seq2SeqDecoder):
    layer_class = BlenderbotSmallDecoderLayer
    positions_class = BlenderbotSmallLearnedPositionalEmbedding

    def embed(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        past_length: int,
    ) -> torch.Tensor:
        """Normalized token embeddings (never scaled, as in the reference) + positions."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError(
                f"{type(self).__name__}: pass exactly one of input_ids or inputs_embeds."
            )
        if inputs_embeds is None:
            inputs_embeds = nn.Embedding.forward(self.embed_tokens, input_ids)
        positions = self.position_embeddings(input_ids, inputs_embeds, past_length)
        hidden = self.layernorm_embedding(inputs_embeds) + positions.to(inputs_embeds.dtype)
        return self.dropped(hidden)


class BlenderbotSmallPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = BlenderbotSmallConfig


class BlenderbotSmallModel(Seq2SeqModel, BlenderbotSmallPreTrainedModel):
    encoder_class = BlenderbotSmallEncoder
    decoder_class = BlenderbotSmallDecoder


class BlenderbotSmallForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, BlenderbotSmallPreTrainedModel
):
    """Replies: the decoder's states through `lm_head` plus `final_logits_bias`."""

    base_model_class = BlenderbotSmallModel


class BlenderbotSmallDecoderWrapper(DecoderWrapper):
    decoder_class = BlenderbotSmallDecoder


class BlenderbotSmallForCausalLM(
    DecoderOnlyCausalLMHead, GenerationMixin, BlenderbotSmallPreTrainedModel
):
    wrapper_class = BlenderbotSmallDecoderWrapper
