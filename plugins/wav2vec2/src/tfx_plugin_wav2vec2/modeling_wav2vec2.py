"""Wav2Vec2 in PyTorch: the convolutional feature encoder, a transformer encoder, and its heads.

The feature encoder, positional convolution, encoder and CTC loss are the core's speech blocks;
the layer is the core's `PreNormEncoderLayer` under Wav2Vec2's names (post-norm for
`wav2vec2-base`, pre-norm for `do_stable_layer_norm` checkpoints). Wav2Vec2's own parts are
here: the feature projection, the masked-frame embedding, and the heads' pooling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.pre_norm_encoder import WAV2VEC2_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.speech import (
    ConvFeatureEncoder,
    PositionalConvEmbedding,
    SpeechEncoder,
    feature_lengths,
    frame_attention_mask,
    speech_rename_rules,
)
from tfx_core.modeling.torch.blocks.speech_heads import (
    AudioClassificationHead,
    AudioFrameClassificationHead,
    CTCHead,
    XVectorHead,
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
    """LayerNorm over the CNN channels, then a projection to the model width."""

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

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config, stable_layer_norm=True)


class Wav2Vec2PreTrainedModel(PreTrainedModel):
    config_class = Wav2Vec2Config
    base_model_prefix = "wav2vec2"
    main_input_name: ClassVar[str] = "input_values"
    load_rename_rules = speech_rename_rules(PreTrainedModel.load_rename_rules)
    # pretraining-only parts of full checkpoints (quantizer, projections) are not used here
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^quantizer\.",
        r"^project_(hid|q)\.",
        r"^(wav2vec2\.)?masked_spec_embed$",
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
            elif isinstance(module, Wav2Vec2FeatureProjection):
                bound = math.sqrt(1 / module.projection.in_features)
                nn.init.uniform_(module.projection.weight, a=-bound, b=bound)
                nn.init.uniform_(module.projection.bias, a=-bound, b=bound)
            elif isinstance(module, nn.GroupNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
            elif isinstance(module, nn.Conv1d) and not _under_weight_norm(module):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    bound = math.sqrt(module.groups / (module.in_channels * module.kernel_size[0]))
                    nn.init.uniform_(module.bias, a=-bound, b=bound)

    def _get_feat_extract_output_lengths(self, lengths: Any) -> Any:
        return feature_lengths(lengths, self.config)


def _under_weight_norm(module: nn.Module) -> bool:
    return hasattr(module, "parametrizations")


class Wav2Vec2Model(Wav2Vec2PreTrainedModel):
    """Waveform -> contextual frame states (`last_hidden_state`) and CNN `extract_features`."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config)
        self.feature_extractor = ConvFeatureEncoder(config)
        self.feature_projection = Wav2Vec2FeatureProjection(config)
        if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0:
            self.masked_spec_embed = nn.Parameter(torch.empty(config.hidden_size).uniform_())
        encoder = Wav2Vec2EncoderStableLayerNorm if config.do_stable_layer_norm else Wav2Vec2Encoder
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
            raise ValueError(
                f"{type(self).__name__} needs input_values (use the model's feature extractor)."
            )
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        features = self.feature_extractor(input_values).transpose(1, 2)
        frame_mask = None
        if attention_mask is not None:
            frame_mask = frame_attention_mask(features.shape[1], attention_mask, self.config)
        hidden, features = self.feature_projection(features)
        if mask_time_indices is not None and getattr(self.config, "apply_spec_augment", True):
            embed = self.masked_spec_embed.to(hidden.dtype)
            hidden = torch.where(mask_time_indices[..., None].bool(), embed, hidden)
        hidden, all_hidden, attentions = self.encoder(
            hidden, frame_mask, output_attentions, output_hidden_states
        )
        return self.model_outputs(
            Wav2Vec2BaseModelOutput(
                last_hidden_state=hidden,
                extract_features=features,
                hidden_states=all_hidden,
                attentions=attentions,
            ),
            return_dict,
        )


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
