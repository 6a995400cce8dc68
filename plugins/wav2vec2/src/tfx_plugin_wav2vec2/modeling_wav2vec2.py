"""Wav2Vec2 in PyTorch: the convolutional feature encoder, a transformer encoder, and its heads.

The feature encoder, positional convolution, encoder and CTC loss are the core's speech blocks;
the layer is the core's `PreNormEncoderLayer` under Wav2Vec2's names (post-norm for
`wav2vec2-base`, pre-norm for `do_stable_layer_norm` checkpoints). Wav2Vec2's own parts are
here: the feature projection, the masked-frame embedding, and the heads' pooling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks.pre_norm_encoder import WAV2VEC2_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.speech import SpeechEncoder
from tfx_core.modeling.torch.blocks.speech_heads import (
    AudioClassificationHead,
    AudioFrameClassificationHead,
    CTCHead,
    XVectorHead,
)
from tfx_core.modeling.torch.blocks.speech_model import (
    SpeechModel,
    SpeechPreTrainedModel,
    under_weight_norm,
)
from tfx_core.modeling.torch.onednn import DenseLinear
from tfx_plugin_wav2vec2.configuration_wav2vec2 import Wav2Vec2Config


@dataclass(repr=False, eq=False)
class Wav2Vec2BaseModelOutput(ModelOutput):
    last_hidden_state: torch.Tensor | None = None
    extract_features: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class Wav2Vec2FeatureProjection(nn.Module):
    """LayerNorm over the CNN channels, then a projection to the model width; the normed CNN
    features are returned too (`extract_features`)."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.layer_norm = nn.LayerNorm(config.conv_dim[-1], eps=config.layer_norm_eps)
        self.projection = DenseLinear(config.conv_dim[-1], config.hidden_size)  # oneDNN
        self.dropout = nn.Dropout(config.feat_proj_dropout)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        normed = self.layer_norm(features)
        return self.dropout(self.projection(normed)), normed


class Wav2Vec2EncoderLayer(PreNormEncoderLayer):
    names = WAV2VEC2_NAMES
    norm_first = False


class Wav2Vec2EncoderLayerStableLayerNorm(PreNormEncoderLayer):
    names = WAV2VEC2_NAMES
    norm_first = True


class Wav2Vec2Encoder(SpeechEncoder):
    layer_class = Wav2Vec2EncoderLayer


class Wav2Vec2EncoderStableLayerNorm(SpeechEncoder):
    layer_class = Wav2Vec2EncoderLayerStableLayerNorm
    stable_layer_norm = True


class Wav2Vec2PreTrainedModel(SpeechPreTrainedModel):
    config_class = Wav2Vec2Config
    base_model_prefix = "wav2vec2"
    # pretraining-only parts of full checkpoints (quantizer, projections) are not used here
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^quantizer\.",
        r"^project_(hid|q)\.",
        r"^(wav2vec2\.)?masked_spec_embed$",
    ]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)  # and: uniform projection, uniform convolution biases
        with torch.no_grad():
            if isinstance(module, Wav2Vec2FeatureProjection):
                bound = math.sqrt(1 / module.projection.in_features)
                nn.init.uniform_(module.projection.weight, a=-bound, b=bound)
                nn.init.uniform_(module.projection.bias, a=-bound, b=bound)
            elif (
                isinstance(module, nn.Conv1d)
                and not under_weight_norm(module)
                and module.bias is not None
            ):
                bound = math.sqrt(module.groups / (module.in_channels * module.kernel_size[0]))
                nn.init.uniform_(module.bias, a=-bound, b=bound)


class Wav2Vec2Model(SpeechModel, Wav2Vec2PreTrainedModel):
    """Waveform -> contextual frame states (`last_hidden_state`) and CNN `extract_features`."""

    feature_projection_class = Wav2Vec2FeatureProjection
    encoder_class = Wav2Vec2Encoder
    stable_encoder_class = Wav2Vec2EncoderStableLayerNorm
    features_output_class = Wav2Vec2BaseModelOutput


class Wav2Vec2ForCTC(CTCHead, Wav2Vec2PreTrainedModel):
    """Per-frame vocabulary logits for CTC speech recognition."""

    base_model_class = Wav2Vec2Model


class Wav2Vec2ForSequenceClassification(AudioClassificationHead, Wav2Vec2PreTrainedModel):
    """One label per clip: projected frame states, mean-pooled over the unpadded frames."""

    base_model_class = Wav2Vec2Model


class Wav2Vec2ForAudioFrameClassification(AudioFrameClassificationHead, Wav2Vec2PreTrainedModel):
    """One label per frame (e.g. speaker diarization)."""

    base_model_class = Wav2Vec2Model


class Wav2Vec2ForXVector(XVectorHead, Wav2Vec2PreTrainedModel):
    """Speaker embeddings (x-vectors) and AM-softmax speaker classification."""

    base_model_class = Wav2Vec2Model


__all__ = [
    "Wav2Vec2ForAudioFrameClassification",
    "Wav2Vec2ForCTC",
    "Wav2Vec2ForSequenceClassification",
    "Wav2Vec2ForXVector",
    "Wav2Vec2Model",
    "Wav2Vec2PreTrainedModel",
]
