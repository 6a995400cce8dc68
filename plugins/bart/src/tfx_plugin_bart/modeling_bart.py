"""BART: a post-norm encoder-decoder with learned positions (offset 2) and an embedding norm.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`): BART uses its
defaults (post-norm layers, `layernorm_embedding`, no final layer norm, `final_logits_bias`).
The classes below only name the modules like the reference, so checkpoints load unchanged and a
patch of `BartDecoderLayer.forward` patches BART alone.
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
from tfx_plugin_bart.configuration_bart import BartConfig

__all__ = [
    "BartDecoder",
    "BartEncoder",
    "BartForCausalLM",
    "BartForConditionalGeneration",
    "BartForQuestionAnswering",
    "BartForSequenceClassification",
    "BartModel",
    "BartPreTrainedModel",
]


class BartLearnedPositionalEmbedding(LearnedPositions):
    """Learned positions read at `position + 2` (fairseq's padding offset)."""


class BartScaledWordEmbedding(ScaledEmbedding):
    """Token embeddings, times sqrt(d_model) when `scale_embedding`."""


@trusted_forward
class BartAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class BartCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class BartEncoderLayer(Seq2SeqEncoderLayer):
    attention_class = BartAttention


@trusted_forward
class BartDecoderLayer(Seq2SeqDecoderLayer):
    attention_class = BartAttention
    cross_attention_class = BartCrossAttention


class BartEncoder(Seq2SeqEncoder):
    layer_class = BartEncoderLayer
    positions_class = BartLearnedPositionalEmbedding


class BartDecoder(Seq2SeqDecoder):
    layer_class = BartDecoderLayer
    positions_class = BartLearnedPositionalEmbedding


class BartPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = BartConfig


class BartModel(Seq2SeqModel, BartPreTrainedModel):
    encoder_class = BartEncoder
    decoder_class = BartDecoder
    derive_decoder_inputs = True  # decoder_input_ids default to input_ids shifted right


class BartForConditionalGeneration(ConditionalGenerationHead, GenerationMixin, BartPreTrainedModel):
    base_model_class = BartModel


class BartClassificationHead(ClassificationHead):
    """`dense` + tanh + `out_proj` over the last `</s>` state."""


class BartForSequenceClassification(Seq2SeqSequenceClassificationHead, BartPreTrainedModel):
    base_model_class = BartModel
    classification_head_class = BartClassificationHead


class BartForQuestionAnswering(Seq2SeqQuestionAnsweringHead, BartPreTrainedModel):
    base_model_class = BartModel


class BartDecoderWrapper(DecoderWrapper):
    decoder_class = BartDecoder


class BartForCausalLM(DecoderOnlyCausalLMHead, GenerationMixin, BartPreTrainedModel):
    wrapper_class = BartDecoderWrapper
