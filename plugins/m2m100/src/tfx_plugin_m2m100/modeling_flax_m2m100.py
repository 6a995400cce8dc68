"""M2M100 in Flax nnx: the core's BART-family block, pre-norm, a final layer norm on each side,
no embedding norm, no `final_logits_bias`. Its own part is the positions: fairseq's fixed sin/cos
table (not stored) read at positions that count only real tokens from `pad_token_id + 1` on, so
padding gets the zero row."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from tfx_core.modeling.flax.seq2seq import (
    Seq2SeqDecoder,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoder,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.flax.seq2seq_model import (
    ConditionalGenerationHead,
    FlaxSeq2SeqModel,
    FlaxSeq2SeqPreTrainedModel,
)
from tfx_core.modeling.position_tables import fairseq_table
from tfx_plugin_m2m100.configuration_m2m100 import M2M100Config

__all__ = ["FlaxM2M100ForConditionalGeneration", "FlaxM2M100Model"]


class _M2M100Stack:
    positions = "sinusoidal"
    embedding_norm = False
    final_norm = True

    def fixed_tables(self, prefix: str) -> dict[str, np.ndarray]:
        return {}  # the reference keeps its table out of checkpoints

    def position_embeddings(self, input_ids: Any, positions: Any) -> Any:
        """Real tokens at `padding_idx + 1 + position`; padding at `padding_idx` (zeros)."""
        config = self.config  # type: ignore[attr-defined]
        pad = config.pad_token_id
        table = jnp.asarray(fairseq_table(config.max_position_embeddings + 2, config.d_model, pad))
        if input_ids is None:
            return table[positions + pad + 1]
        real = jnp.asarray(input_ids) != pad
        if positions.shape[-1] == real.shape[-1] and positions.shape[-1] > 1:
            positions = jnp.cumsum(real, axis=1) - 1  # count only real tokens (full passes)
        return table[jnp.where(real, positions + pad + 1, pad)]


class FlaxM2M100EncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class FlaxM2M100DecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class FlaxM2M100Encoder(_M2M100Stack, Seq2SeqEncoder):
    layer_class = FlaxM2M100EncoderLayer


class FlaxM2M100Decoder(_M2M100Stack, Seq2SeqDecoder):
    layer_class = FlaxM2M100DecoderLayer


class FlaxM2M100PreTrainedModel(FlaxSeq2SeqPreTrainedModel):
    config_class = M2M100Config


class FlaxM2M100Model(FlaxSeq2SeqModel, FlaxM2M100PreTrainedModel):
    encoder_class = FlaxM2M100Encoder
    decoder_class = FlaxM2M100Decoder


class FlaxM2M100ForConditionalGeneration(ConditionalGenerationHead, FlaxM2M100PreTrainedModel):
    base_model_class = FlaxM2M100Model
    use_final_logits_bias = False
