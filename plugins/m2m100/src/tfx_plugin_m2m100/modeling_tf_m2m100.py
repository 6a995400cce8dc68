"""M2M100 in TensorFlow (Keras 3): the core's Keras BART-family block with M2M100's switches.

Pre-norm layers, `layer_norm` after the last layer of each side, no `layernorm_embedding`, no
`final_logits_bias`. M2M100's own part is its positions: fairseq's sin/cos table (not stored in
checkpoints) read at positions that count only real tokens from `pad_token_id + 1` on, so
padding gets the zero row wherever it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.keras import TFPreTrainedModel, tf
from tfx_core.modeling.keras.backend import keras
from tfx_core.modeling.keras.blocks.seq2seq import Seq2SeqDecoderLayer, Seq2SeqEncoderLayer
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFConditionalGenerationHead
from tfx_core.modeling.keras.blocks.seq2seq_model import (
    TFSeq2SeqDecoder,
    TFSeq2SeqEncoder,
    TFSeq2SeqModel,
)
from tfx_core.modeling.position_tables import fairseq_table
from tfx_plugin_m2m100.configuration_m2m100 import M2M100Config

__all__ = ["TFM2M100ForConditionalGeneration", "TFM2M100Model"]


class TFM2M100SinusoidalPositionalEmbedding(keras.layers.Layer):
    """The fixed table (no weights), read at padding-aware position ids."""

    offset: ClassVar[int] = 2

    def __init__(self, num_positions: int, dim: int, padding_idx: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.padding_idx = padding_idx
        self.table = fairseq_table(num_positions + self.offset, dim, padding_idx)
        self.built = True

    def call(self, position_ids: Any) -> Any:
        return tf.gather(tf.constant(self.table), position_ids)


class _TFM2M100Stack:
    """Padding-aware fairseq positions (mixed in before the core stack)."""

    embedding_norm = False
    final_norm = True

    def make_positions(self, config: Any) -> Any:
        return TFM2M100SinusoidalPositionalEmbedding(
            config.max_position_embeddings, config.d_model, config.pad_token_id
        )

    def position_embeddings(self, input_ids: Any, inputs_embeds: Any, past_length: Any) -> Any:
        pad = self.embed_positions.padding_idx  # type: ignore[attr-defined]
        if input_ids is None:  # no ids to see padding in: consecutive positions
            length = tf.shape(inputs_embeds)[1]
            ids = tf.range(length)[None] + pad + 1 + past_length
        else:
            real = tf.cast(tf.not_equal(tf.cast(input_ids, tf.int32), pad), tf.int32)
            ids = (tf.cumsum(real, axis=1) + past_length) * real + pad
        return self.embed_positions(ids)  # type: ignore[attr-defined]


class TFM2M100EncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True


class TFM2M100DecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True


class TFM2M100Encoder(_TFM2M100Stack, TFSeq2SeqEncoder):
    layer_class = TFM2M100EncoderLayer


class TFM2M100Decoder(_TFM2M100Stack, TFSeq2SeqDecoder):
    layer_class = TFM2M100DecoderLayer


class TFM2M100PreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[M2M100Config]] = M2M100Config
    base_model_prefix: ClassVar[str] = "model"


class TFM2M100Model(TFSeq2SeqModel, TFM2M100PreTrainedModel):
    encoder_class = TFM2M100Encoder
    decoder_class = TFM2M100Decoder


class TFM2M100ForConditionalGeneration(TFConditionalGenerationHead, TFM2M100PreTrainedModel):
    base_model_class = TFM2M100Model
    use_final_logits_bias = False
