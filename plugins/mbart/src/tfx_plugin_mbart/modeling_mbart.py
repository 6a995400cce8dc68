"""mBART: BART's encoder-decoder with pre-norm layers and a final layer norm on each side.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`). What is mBART's
own: pre-norm layers (`pre_norm = True`), `layer_norm` after the last layer of the encoder and of
the decoder, and its decoder inputs: the labels (or the inputs) shifted right with each row's
last token, the language code, wrapped to the front (`shift_tokens_right_mbart`), since mBART
has no fixed `decoder_start_token_id`.
"""

from __future__ import annotations

from typing import Any

import torch

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqAttention,
    Seq2SeqCrossAttention,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import LearnedPositions, ScaledEmbedding
from tfx_core.modeling.torch.blocks.seq2seq_heads import (
    ClassificationHead,
    ConditionalGenerationHead,
    DecoderOnlyCausalLMHead,
    DecoderWrapper,
    Seq2SeqQuestionAnsweringHead,
    Seq2SeqSequenceClassificationHead,
)
from tfx_core.modeling.torch.blocks.seq2seq_model import (
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    Seq2SeqModel,
    Seq2SeqPreTrainedModel,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.shifting import shift_tokens_right_mbart
from tfx_plugin_mbart.configuration_mbart import MBartConfig

__all__ = [
    "MBartDecoder",
    "MBartEncoder",
    "MBartForCausalLM",
    "MBartForConditionalGeneration",
    "MBartForQuestionAnswering",
    "MBartForSequenceClassification",
    "MBartModel",
    "MBartPreTrainedModel",
]


class MBartLearnedPositionalEmbedding(LearnedPositions):
    """Learned positions read at `position + 2` (fairseq's padding offset)."""


class MBartScaledWordEmbedding(ScaledEmbedding):
    """Token embeddings, times sqrt(d_model) when `scale_embedding`."""


@trusted_forward
class MBartAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class MBartCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class MBartEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True
    attention_class = MBartAttention


@trusted_forward
class MBartDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True
    attention_class = MBartAttention
    cross_attention_class = MBartCrossAttention


class MBartEncoder(Seq2SeqEncoder):
    layer_class = MBartEncoderLayer
    positions_class = MBartLearnedPositionalEmbedding
    final_norm = True


class MBartDecoder(Seq2SeqDecoder):
    layer_class = MBartDecoderLayer
    positions_class = MBartLearnedPositionalEmbedding
    final_norm = True


class MBartPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = MBartConfig


class MBartModel(Seq2SeqModel, MBartPreTrainedModel):
    encoder_class = MBartEncoder
    decoder_class = MBartDecoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Without decoder inputs, the decoder reads `input_ids` with the language code first."""
        derive = decoder_input_ids is None and kwargs.get("decoder_inputs_embeds") is None
        if derive and input_ids is not None:
            decoder_input_ids = shift_tokens_right_mbart(input_ids, self.config.pad_token_id)
        return super().forward(input_ids, attention_mask, decoder_input_ids, *args, **kwargs)


class MBartForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, MBartPreTrainedModel
):
    base_model_class = MBartModel

    def shift_labels(self, labels: torch.Tensor) -> torch.Tensor:
        return shift_tokens_right_mbart(labels, self.config.pad_token_id)


class MBartClassificationHead(ClassificationHead):
    """`dense` + tanh + `out_proj` over the last `</s>` state."""


class MBartForSequenceClassification(Seq2SeqSequenceClassificationHead, MBartPreTrainedModel):
    base_model_class = MBartModel
    classification_head_class = MBartClassificationHead


class MBartForQuestionAnswering(Seq2SeqQuestionAnsweringHead, MBartPreTrainedModel):
    base_model_class = MBartModel


class MBartDecoderWrapper(DecoderWrapper):
    decoder_class = MBartDecoder


class MBartForCausalLM(DecoderOnlyCausalLMHead, GenerationMixin, MBartPreTrainedModel):
    wrapper_class = MBartDecoderWrapper
