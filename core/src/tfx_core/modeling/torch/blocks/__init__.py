"""Standard blocks whose submodules carry the checkpoint names, and the math they share."""

from tfx_core.modeling.torch.blocks.encoder import (
    Attention,
    Encoder,
    EncoderLayer,
    Intermediate,
    Output,
    SelfAttention,
    SelfOutput,
)
from tfx_core.modeling.torch.blocks.encoder_model import EncoderEmbeddings, EncoderModel, Pooler
from tfx_core.modeling.torch.blocks.lean_encoder import LeanLayout, LeanPostNormEncoder

__all__ = [
    "Attention",
    "Encoder",
    "EncoderEmbeddings",
    "EncoderLayer",
    "EncoderModel",
    "Intermediate",
    "LeanLayout",
    "LeanPostNormEncoder",
    "Output",
    "Pooler",
    "SelfAttention",
    "SelfOutput",
]
