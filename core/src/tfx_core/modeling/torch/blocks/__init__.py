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
from tfx_core.modeling.torch.blocks.encoder_heads import (
    DenseClassificationHead,
    DenseLMHead,
    LMPredictionHead,
    OnlyMLMHead,
    OnlyNSPHead,
    PredictionHeadTransform,
    PreTrainingHeads,
)
from tfx_core.modeling.torch.blocks.encoder_model import EncoderEmbeddings, EncoderModel, Pooler
from tfx_core.modeling.torch.blocks.lean_encoder import LeanLayout, LeanPostNormEncoder
from tfx_core.modeling.torch.blocks.lean_training import LeanTrainingLayout

__all__ = [
    "Attention",
    "DenseClassificationHead",
    "DenseLMHead",
    "Encoder",
    "EncoderEmbeddings",
    "EncoderLayer",
    "EncoderModel",
    "Intermediate",
    "LMPredictionHead",
    "LeanLayout",
    "LeanPostNormEncoder",
    "LeanTrainingLayout",
    "OnlyMLMHead",
    "OnlyNSPHead",
    "Output",
    "Pooler",
    "PreTrainingHeads",
    "PredictionHeadTransform",
    "SelfAttention",
    "SelfOutput",
]

# Decoder blocks (pre-norm layer, cross-attention, decoder-only base model, lean decode plan).
from tfx_core.modeling.torch.blocks.decoder import (
    CrossAttention,
    CrossAttentionCache,
    DecoderAttention,
    DecoderLayer,
    DecoderMLP,
)
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan, LeanDecoding

__all__ += [
    "CrossAttention",
    "CrossAttentionCache",
    "DecodePlan",
    "DecoderAttention",
    "DecoderLayer",
    "DecoderMLP",
    "DecoderModel",
    "LeanDecoding",
]
