"""MarianMT in Flax nnx: the core's BART-family block, post-norm, fixed sinusoidal positions (not
stored in checkpoints), no embedding norm; with `share_encoder_decoder_embeddings=False` each
stack owns its `embed_tokens` and `lm_head` (over `decoder_vocab_size`) ties to the decoder's."""

from __future__ import annotations

from tfx_core.modeling.flax.seq2seq import Seq2SeqDecoder, Seq2SeqEncoder
from tfx_core.modeling.flax.seq2seq_causal_lm import DecoderOnlyCausalLMHead
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
)
from tfx_plugin_marian.configuration_marian import MarianConfig

__all__ = ["FlaxMarianForCausalLM", "FlaxMarianMTModel", "FlaxMarianModel"]


class FlaxMarianEncoder(Seq2SeqEncoder):
    positions = "sinusoidal"
    embedding_norm = False


class FlaxMarianDecoder(Seq2SeqDecoder):
    positions = "sinusoidal"
    embedding_norm = False


class FlaxMarianPreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = MarianConfig


class FlaxMarianModel(FlaxSeq2SeqModel, FlaxMarianPreTrainedModel):
    encoder_class = FlaxMarianEncoder
    decoder_class = FlaxMarianDecoder


class FlaxMarianMTModel(ConditionalGenerationHead, FlaxMarianPreTrainedModel):
    base_model_class = FlaxMarianModel


class FlaxMarianForCausalLM(DecoderOnlyCausalLMHead, FlaxMarianPreTrainedModel):
    """The decoder alone as a language model (`model.decoder`), with jitted `generate`."""

    decoder_class = FlaxMarianDecoder
