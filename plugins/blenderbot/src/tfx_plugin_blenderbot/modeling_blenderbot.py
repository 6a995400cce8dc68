"""Blenderbot: a pre-norm BART-family encoder-decoder with learned positions and no offset.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`). What is
Blenderbot's own: pre-norm layers, `layer_norm` after the last layer of each side, no
`layernorm_embedding`, and learned positions read at the position itself (fairseq's offset of 2
is BART's, not Blenderbot's).
"""

from __future__ import annotations

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
from tfx_plugin_blenderbot.configuration_blenderbot import BlenderbotConfig

__all__ = [
    "BlenderbotDecoder",
    "BlenderbotEncoder",
    "BlenderbotForCausalLM",
    "BlenderbotForConditionalGeneration",
    "BlenderbotModel",
    "BlenderbotPreTrainedModel",
]


class BlenderbotLearnedPositionalEmbedding(LearnedPositions):
    """Learned positions, read at the position itself (no offset)."""

    offset = 0


class BlenderbotScaledWordEmbedding(ScaledEmbedding):
    """Token embeddings, times sqrt(d_model) when `scale_embedding`."""


@trusted_forward
class BlenderbotAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class BlenderbotCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class BlenderbotEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True
    attention_class = BlenderbotAttention


@trusted_forward
class BlenderbotDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True
    attention_class = BlenderbotAttention
    cross_attention_class = BlenderbotCrossAttention


class BlenderbotEncoder(Seq2SeqEncoder):
    layer_class = BlenderbotEncoderLayer
    positions_class = BlenderbotLearnedPositionalEmbedding
    embedding_norm = False
    final_norm = True


class BlenderbotDecoder(Seq2SeqDecoder):
    layer_class = BlenderbotDecoderLayer
    positions_class = BlenderbotLearnedPositionalEmbedding
    embedding_norm = False
    final_norm = True


class BlenderbotPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = BlenderbotConfig


class BlenderbotModel(Seq2SeqModel, BlenderbotPreTrainedModel):
    encoder_class = BlenderbotEncoder
    decoder_class = BlenderbotDecoder


class BlenderbotForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, BlenderbotPreTrainedModel
):
    """Replies: the decoder's states through `lm_head` plus `final_logits_bias`."""

    base_model_class = BlenderbotModel


class BlenderbotDecoderWrapper(DecoderWrapper):
    decoder_class = BlenderbotDecoder


class BlenderbotForCausalLM(DecoderOnlyCausalLMHead, GenerationMixin, BlenderbotPreTrainedModel):
    wrapper_class = BlenderbotDecoderWrapper
