"""HuBERT in PyTorch: Wav2Vec2's architecture trained with masked prediction of clustered units.

The feature encoder, positional convolution, encoder, layer, base model and heads are the core's
speech blocks under HuBERT's checkpoint names (`hubert.` prefix). HuBERT's own part is here: its
feature projection (the LayerNorm is optional and no CNN features are returned).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.blocks.pre_norm_encoder import WAV2VEC2_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.speech import SpeechEncoder
from tfx_core.modeling.torch.blocks.speech_heads import AudioClassificationHead, CTCHead
from tfx_core.modeling.torch.blocks.speech_model import SpeechModel, SpeechPreTrainedModel
from tfx_core.modeling.torch.onednn import DenseLinear
from tfx_plugin_hubert.configuration_hubert import HubertConfig


class HubertFeatureProjection(nn.Module):
    """An optional LayerNorm over the CNN channels, then a projection to the model width."""

    def __init__(self, config: HubertConfig) -> None:
        super().__init__()
        self.feat_proj_layer_norm = config.feat_proj_layer_norm
        if self.feat_proj_layer_norm:
            self.layer_norm = nn.LayerNorm(config.conv_dim[-1], eps=config.layer_norm_eps)
        self.projection = DenseLinear(config.conv_dim[-1], config.hidden_size)  # oneDNN
        self.dropout = nn.Dropout(config.feat_proj_dropout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.feat_proj_layer_norm:
            features = self.layer_norm(features)
        return self.dropout(self.projection(features))


class HubertEncoderLayer(PreNormEncoderLayer):
    names = WAV2VEC2_NAMES
    norm_first = False


class HubertEncoderLayerStableLayerNorm(PreNormEncoderLayer):
    names = WAV2VEC2_NAMES
    norm_first = True


class HubertEncoder(SpeechEncoder):
    layer_class = HubertEncoderLayer


class HubertEncoderStableLayerNorm(SpeechEncoder):
    layer_class = HubertEncoderLayerStableLayerNorm
    stable_layer_norm = True


class HubertPreTrainedModel(SpeechPreTrainedModel):
    config_class = HubertConfig
    base_model_prefix = "hubert"
    # pretraining-only parts (the cluster-unit embeddings and projection) are not used here
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^(hubert\.)?masked_spec_embed$",
        r"^label_embeddings_concat$",
        r"^final_proj\.",
    ]


class HubertModel(SpeechModel, HubertPreTrainedModel):
    """Waveform -> contextual frame states (`last_hidden_state`)."""

    feature_projection_class = HubertFeatureProjection
    encoder_class = HubertEncoder
    stable_encoder_class = HubertEncoderStableLayerNorm


class HubertForCTC(CTCHead, HubertPreTrainedModel):
    """Per-frame vocabulary logits for CTC speech recognition."""

    base_model_class = HubertModel


class HubertForSequenceClassification(AudioClassificationHead, HubertPreTrainedModel):
    """One label per clip: projected frame states, mean-pooled over the unpadded frames."""

    base_model_class = HubertModel
