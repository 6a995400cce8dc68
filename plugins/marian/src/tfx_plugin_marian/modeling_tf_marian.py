"""MarianMT in TensorFlow (Keras 3): the core's Keras BART-family block with Marian's switches.

Post-norm layers, fixed sinusoidal positions (not stored in Hub checkpoints: their absence is
expected, and saves leave them out as the reference does), no `layernorm_embedding`; with
`share_encoder_decoder_embeddings=False` the decoder owns its embeddings (`decoder_vocab_size`)
and `lm_head` is tied to them (the core block's switch).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel
from tfx_core.modeling.keras.blocks.seq2seq import SinusoidalPositions
from tfx_core.modeling.keras.blocks.seq2seq_causal import TFDecoderOnlyCausalLMHead
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFConditionalGenerationHead
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
)
from tfx_plugin_marian.configuration_marian import MarianConfig

__all__ = ["TFMarianMTModel", "TFMarianModel"]


class TFMarianEncoder(TFSeq2SeqEncoder):
    positions_class = SinusoidalPositions
    embedding_norm = False


class TFMarianDecoder(TFSeq2SeqDecoder):
    positions_class = SinusoidalPositions
    embedding_norm = False


class TFMarianPreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[MarianConfig]] = MarianConfig
    base_model_prefix: ClassVar[str] = "model"
    ignore_missing_keys: ClassVar[list[str]] = [r"embed_positions\.weight$", r"final_logits_bias$"]

    def state_dict_for_save(self) -> dict[str, Any]:
        """As the reference saves it: without the fixed position tables."""
        state = self.state_dict()
        return {key: value for key, value in state.items() if "embed_positions" not in key}


class TFMarianModel(TFSeq2SeqModel, TFMarianPreTrainedModel):
    encoder_class = TFMarianEncoder
    decoder_class = TFMarianDecoder


class TFMarianMTModel(TFConditionalGenerationHead, TFMarianPreTrainedModel):
    base_model_class = TFMarianModel


class TFMarianForCausalLM(TFDecoderOnlyCausalLMHead, TFMarianPreTrainedModel):
    """The decoder alone as a left-to-right LM (the reference's `MarianForCausalLM` files)."""

    base_model_class = TFMarianModel
