"""MarianMT: BART's post-norm encoder-decoder with sinusoidal positions and no embedding norm.

Everything but the names is the core's BART-family block (`blocks.seq2seq*`). What is Marian's
own: fixed sinusoidal positions (not stored in Hub checkpoints, so their absence is expected),
no `layernorm_embedding`, and optionally a decoder with its own embeddings
(`share_encoder_decoder_embeddings=False`): then there is no `model.shared`, and `lm_head` (over
`decoder_vocab_size`) is tied to the decoder's embeddings.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from torch import nn

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
from tfx_core.modeling.torch.linear import Linear
from tfx_plugin_marian.configuration_marian import MarianConfig

__all__ = [
    "MarianDecoder",
    "MarianEncoder",
    "MarianForCausalLM",
    "MarianMTModel",
    "MarianModel",
    "MarianPreTrainedModel",
]

_POSITIONS = [r"embed_positions\.weight$"]


class MarianSinusoidalPositionalEmbedding(SinusoidalPositions):
    """Fixed sin/cos positions (first half sines, second half cosines)."""


@trusted_forward
class MarianAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class MarianCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class MarianEncoderLayer(Seq2SeqEncoderLayer):
    attention_class = MarianAttention


@trusted_forward
class MarianDecoderLayer(Seq2SeqDecoderLayer):
    attention_class = MarianAttention
    cross_attention_class = MarianCrossAttention


class MarianEncoder(Seq2SeqEncoder):
    layer_class = MarianEncoderLayer
    positions_class = MarianSinusoidalPositionalEmbedding
    embedding_norm = False


class MarianDecoder(Seq2SeqDecoder):
    layer_class = MarianDecoderLayer
    positions_class = MarianSinusoidalPositionalEmbedding
    embedding_norm = False


class MarianPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = MarianConfig
    ignore_missing_keys: ClassVar[list[str]] = _POSITIONS


def _shares_embeddings(config: Any) -> bool:
    return bool(getattr(config, "share_encoder_decoder_embeddings", True))


class MarianModel(Seq2SeqModel, MarianPreTrainedModel):
    encoder_class = MarianEncoder
    decoder_class = MarianDecoder

    def __init__(self, config: MarianConfig) -> None:
        super().__init__(config)
        if not _shares_embeddings(config):  # own, untied embeddings on each side
            self.encoder.embed_tokens = copy.deepcopy(self.shared)
            self.decoder.embed_tokens = copy.deepcopy(self.decoder.embed_tokens)
            self.shared = None
            self.post_init()

    def _tied_pairs(self) -> dict[str, str]:
        return super()._tied_pairs() if _shares_embeddings(self.config) else {}

    def get_input_embeddings(self) -> nn.Module:
        return self.shared if self.shared is not None else self.encoder.embed_tokens

    def get_decoder_input_embeddings(self) -> nn.Module:
        return self.decoder.embed_tokens


class MarianMTModel(ConditionalGenerationHead, GenerationMixin, MarianPreTrainedModel):
    """Translation: the decoder's states through `lm_head` plus `final_logits_bias`."""

    base_model_class = MarianModel

    def build_head(self, config: MarianConfig) -> None:
        vocab = config.vocab_size if _shares_embeddings(config) else config.decoder_vocab_size
        self.lm_head = Linear(config.d_model, vocab, bias=False)
        self.register_buffer("final_logits_bias", self.lm_head.weight.new_zeros(1, vocab))

    def state_dict_for_save(self) -> dict[str, Any]:
        """As the reference saves it: without the fixed position tables."""
        state = super().state_dict_for_save()
        return {key: value for key, value in state.items() if "embed_positions" not in key}

    def _tied_pairs(self) -> dict[str, str]:
        if _shares_embeddings(self.config):
            return super()._tied_pairs()
        if getattr(self.config, "tie_word_embeddings", True):
            return {"lm_head.weight": "model.decoder.embed_tokens.weight"}
        return {}


class MarianDecoderWrapper(DecoderWrapper):
    decoder_class = MarianDecoder


class MarianForCausalLM(DecoderOnlyCausalLMHead, GenerationMixin, MarianPreTrainedModel):
    wrapper_class = MarianDecoderWrapper
