"""Pegasus: a pre-norm BART-family encoder-decoder with sinusoidal positions.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`). What is Pegasus's
own: pre-norm layers, `layer_norm` after the last layer of each side, no `layernorm_embedding`,
and fixed sinusoidal positions (rebuilt, not read, when a checkpoint lacks them).
"""

from __future__ import annotations

from typing import ClassVar

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqAttention,
    Seq2SeqCrossAttention,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import SinusoidalPositions
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
from tfx_plugin_pegasus.configuration_pegasus import PegasusConfig

__all__ = [
    "PegasusDecoder",
    "PegasusEncoder",
    "PegasusForCausalLM",
    "PegasusForConditionalGeneration",
    "PegasusModel",
    "PegasusPreTrainedModel",
]


class PegasusSinusoidalPositionalEmbedding(SinusoidalPositions):
    """Fixed sin/cos positions (first half sines, second half cosines)."""


@trusted_forward
class PegasusAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class PegasusCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class PegasusEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True
    attention_class = PegasusAttention


@trusted_forward
class PegasusDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True
    attention_class = PegasusAttention
    cross_attention_class = PegasusCrossAttention


class PegasusEncoder(Seq2SeqEncoder):
    layer_class = PegasusEncoderLayer
    positions_class = PegasusSinusoidalPositionalEmbedding
    embedding_norm = False
    final_norm = True


class PegasusDecoder(Seq2SeqDecoder):
    layer_class = PegasusDecoderLayer
    positions_class = PegasusSinusoidalPositionalEmbedding
    embedding_norm = False
    final_norm = True


class PegasusPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = PegasusConfig
    ignore_missing_keys: ClassVar[list[str]] = [r"embed_positions\.weight$"]


class PegasusModel(Seq2SeqModel, PegasusPreTrainedModel):
    encoder_class = PegasusEncoder
    decoder_class = PegasusDecoder


class PegasusForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, PegasusPreTrainedModel
):
    """Summarization: the decoder's states through `lm_head` plus `final_logits_bias`."""

    base_model_class = PegasusModel


class PegasusDecoderWrapper(DecoderWrapper):
    decoder_class = PegasusDecoder


class PegasusForCausalLM(DecoderOnlyCausalLMHead, GenerationMixin, PegasusPreTrainedModel):
    wrapper_class = PegasusDecoderWrapper
