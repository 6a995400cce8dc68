"""HuBERT in PyTorch: Wav2Vec2's architecture trained with masked prediction of clustered units.

The feature encoder, positional convolution, encoder, layer and heads are the core's speech
blocks under HuBERT's checkpoint names (`hubert.` prefix). HuBERT's own part is here: its
feature projection (the LayerNorm is optional and no CNN features are returned).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.pre_norm_encoder import WAV2VEC2_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.speech import (
    ConvFeatureEncoder,
    PositionalConvEmbedding,
    SpeechEncoder,
    frame_attention_mask,
    speech_rename_rules,
)
from tfx_core.modeling.torch.blocks.speech_heads import AudioClassificationHead, CTCHead
from tfx_core.modeling.torch.onednn import DenseLinear
from tfx_plugin_hubert.configuration_hubert import HubertConfig


class HubertFeatureProjection(nn.Module):
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

    def __init__(self, config: HubertConfig) -> None:
        super().__init__(config, stable_layer_norm=True)


class HubertPreTrainedModel(PreTrainedModel):
    config_class = HubertConfig
    base_model_prefix = "hubert"
    main_input_name: ClassVar[str] = "input_values"
    load_rename_rules = speech_rename_rules(PreTrainedModel.load_rename_rules)
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^(hubert\.)?masked_spec_embed$",
        r"^label_embeddings_concat$",
        r"^final_proj\.",
    ]
    ignore_missing_keys: ClassVar[list[str]] = [r"masked_spec_embed$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        with torch.no_grad():
            if isinstance(module, PositionalConvEmbedding):
                conv = module.conv
                std = 2 * math.sqrt(1 / (conv.kernel_size[0] * conv.in_channels))
                nn.init.normal_(conv.weight, mean=0, std=std)
                nn.init.constant_(conv.bias, 0)
            elif isinstance(module, nn.GroupNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
            elif isinstance(module, nn.Conv1d) and not hasattr(module, "parametrizations"):
                nn.init.kaiming_normal_(module.weight)


class HubertModel(HubertPreTrainedModel):
    """Waveform -> contextual frame states (`last_hidden_state`)."""

    def __init__(self, config: HubertConfig) -> None:
        super().__init__(config)
        self.feature_extractor = ConvFeatureEncoder(config)
        self.feature_projection = HubertFeatureProjection(config)
        if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0:
            self.masked_spec_embed = nn.Parameter(torch.empty(config.hidden_size).uniform_())
        encoder = HubertEncoderStableLayerNorm if config.do_stable_layer_norm else HubertEncoder
        self.encoder = encoder(config)
        self.post_init()

    def freeze_feature_encoder(self) -> None:
        for parameter in self.feature_extractor.parameters():
            parameter.requires_grad = False

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        mask_time_indices: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        if input_values is None:
            raise ValueError("HubertModel needs input_values (use the model's feature extractor).")
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        features = self.feature_extractor(input_values).transpose(1, 2)
        frame_mask = None
        if attention_mask is not None:
            frame_mask = frame_attention_mask(features.shape[1], attention_mask, self.config)
        hidden = self.feature_projection(features)
        if mask_time_indices is not None and self.config.apply_spec_augment:
            embed = self.masked_spec_embed.to(hidden.dtype)
            hidden = torch.where(mask_time_indices[..., None].bool(), embed, hidden)
        hidden, all_hidden, attentions = self.encoder(
            hidden, frame_mask, output_attentions, output_hidden_states
        )
        return self.model_outputs(
            BaseModelOutput(
                last_hidden_state=hidden, hidden_states=all_hidden, attentions=attentions
            ),
            return_dict,
        )


class HubertForCTC(CTCHead, HubertPreTrainedModel):
    """Per-frame vocabulary logits for CTC speech recognition."""

    base_model_class = HubertModel


class HubertForSequenceClassification(AudioClassificationHead, HubertPreTrainedModel):
    """One label per clip: projected frame states, mean-pooled over the unpadded frames."""

    base_model_class = HubertModel
