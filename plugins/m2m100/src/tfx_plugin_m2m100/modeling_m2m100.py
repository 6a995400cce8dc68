"""M2M100: a pre-norm BART-family encoder-decoder with fairseq's sinusoidal positions.

Everything but the names and the positions is the core's BART-family block (`blocks.seq2seq*`):
pre-norm layers, `layer_norm` after the last layer of each side, no `layernorm_embedding`,
embeddings scaled by sqrt(d_model). M2M100's own part is its positions: a fixed sin/cos table
(not stored in checkpoints) read at fairseq positions, which count only real tokens from
`pad_token_id + 1` on, so padding rows get the zero vector wherever they are.
"""

from __future__ import annotations

import torch

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqAttention,
    Seq2SeqCrossAttention,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import (
    FairseqSinusoidalPositions,
    ScaledEmbedding,
)
from tfx_core.modeling.torch.blocks.seq2seq_heads import ConditionalGenerationHead
from tfx_core.modeling.torch.blocks.seq2seq_model import (
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    Seq2SeqModel,
    Seq2SeqPreTrainedModel,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_m2m100.configuration_m2m100 import M2M100Config

__all__ = [
    "M2M100Decoder",
    "M2M100Encoder",
    "M2M100ForConditionalGeneration",
    "M2M100Model",
    "M2M100PreTrainedModel",
]


class M2M100SinusoidalPositionalEmbedding(FairseqSinusoidalPositions):
    """Fixed sinusoidal positions, fairseq's table (`FairseqSinusoidalPositions`)."""


class M2M100ScaledWordEmbedding(ScaledEmbedding):
    """Token embeddings, times sqrt(d_model) when `scale_embedding`."""


@trusted_forward
class M2M100Attention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class M2M100CrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class M2M100EncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True
    attention_class = M2M100Attention


@trusted_forward
class M2M100DecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True
    attention_class = M2M100Attention
    cross_attention_class = M2M100CrossAttention


class _M2M100Stack:
    """Mixed into each stack: the positions follow the token ids (see the module docstring), and
    the LayerDrop draw happens in eval mode too, as in the reference (one `torch.rand` per layer
    and forward), so seeded sampling draws the same numbers."""

    positions_class = M2M100SinusoidalPositionalEmbedding
    embedding_norm = False
    final_norm = True

    def __init__(self, config: M2M100Config, *args: object, **kwargs: object) -> None:
        super().__init__(config, *args, **kwargs)  # type: ignore[call-arg]
        self.embed_positions = M2M100SinusoidalPositionalEmbedding(  # with its padding row
            config.max_position_embeddings, config.d_model, config.pad_token_id
        )

    def position_embeddings(
        self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor, past_length: int
    ) -> torch.Tensor:
        positions = self.embed_positions  # type: ignore[attr-defined]
        if input_ids is None:  # no ids to see padding in: consecutive positions
            start = positions.padding_idx + 1 + past_length
            ids = torch.arange(start, start + inputs_embeds.shape[1], device=inputs_embeds.device)
            ids = ids.expand(inputs_embeds.shape[:2])
        else:
            ids = positions.position_ids(input_ids, past_length)
        return positions(ids)

    def skipped(self) -> bool:
        draw = torch.rand([])
        return self.training and self.layerdrop > 0 and bool(draw < self.layerdrop)  # type: ignore[attr-defined]


class M2M100Encoder(_M2M100Stack, Seq2SeqEncoder):
    layer_class = M2M100EncoderLayer


class M2M100Decoder(_M2M100Stack, Seq2SeqDecoder):
    layer_class = M2M100DecoderLayer


class M2M100PreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = M2M100Config


class M2M100Model(Seq2SeqModel, M2M100PreTrainedModel):
    encoder_class = M2M100Encoder
    decoder_class = M2M100Decoder


class M2M100ForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, M2M100PreTrainedModel
):
    """Translation: the decoder's states through `lm_head` (no `final_logits_bias`)."""

    base_model_class = M2M100Model
    use_final_logits_bias = False
