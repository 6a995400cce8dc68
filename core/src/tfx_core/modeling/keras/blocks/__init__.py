"""Standard Keras blocks named like the checkpoints (post-norm encoder, pre-norm decoder)."""

from tfx_core.modeling.keras.blocks.decoder import (
    MLP,
    CausalSelfAttention,
    DecoderBlock,
    empty_cache,
    write_cache,
)
from tfx_core.modeling.keras.blocks.encoder import (
    Attention,
    Encoder,
    EncoderLayer,
    Intermediate,
    Output,
    SelfAttention,
    SelfOutput,
)
from tfx_core.modeling.keras.blocks.encoder_model import EncoderEmbeddings, Pooler, TFEncoderModel

__all__ = [
    "MLP",
    "Attention",
    "CausalSelfAttention",
    "DecoderBlock",
    "Encoder",
    "EncoderEmbeddings",
    "EncoderLayer",
    "Intermediate",
    "Output",
    "Pooler",
    "SelfAttention",
    "SelfOutput",
    "TFEncoderModel",
    "empty_cache",
    "write_cache",
]
