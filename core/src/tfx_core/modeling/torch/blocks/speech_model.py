"""The base model of the Wav2Vec2 family (Wav2Vec2, HuBERT and their relatives), written once.

A waveform goes through the convolutional feature encoder (`feature_extractor`), a projection
to the model width (`feature_projection`, the architecture's own), optionally the masked-frame
embedding (`masked_spec_embed`, SpecAugment's time masks), and the transformer encoder
(`encoder`: post-norm, or "stable layer norm" pre-norm when `config.do_stable_layer_norm`).
An architecture sets its classes as attributes:

```python
class HubertModel(SpeechModel, HubertPreTrainedModel):
    feature_projection_class = HubertFeatureProjection
    encoder_class = HubertEncoder                # post-norm layers
    stable_encoder_class = HubertEncoderStableLayerNorm
```
A projection returning `(hidden, normed CNN features)` gives the output's `extract_features`
(Wav2Vec2's `Wav2Vec2BaseModelOutput`); one returning the hidden states alone gives a
`BaseModelOutput`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutput, ModelOutput
from tfx_core.modeling.torch.base import PreTrainedModel
from tfx_core.modeling.torch.blocks.speech import (
    ConvFeatureEncoder,
    PositionalConvEmbedding,
    feature_lengths,
    frame_attention_mask,
    speech_rename_rules,
)


class SpeechPreTrainedModel(PreTrainedModel):
    """Loading and init rules of the family: `input_values` in, old weight-norm keys renamed,
    the masked-frame embedding optional; the positional convolution ~ normal(0, 2 /
    sqrt(kernel x channels)), GroupNorms one/zero, convolutions Kaiming-normal."""

    main_input_name: ClassVar[str] = "input_values"
    load_rename_rules = speech_rename_rules(PreTrainedModel.load_rename_rules)
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
            elif isinstance(module, nn.Conv1d) and not under_weight_norm(module):
                nn.init.kaiming_normal_(module.weight)

    def _get_feat_extract_output_lengths(self, lengths: Any) -> Any:
        """Frames the feature encoder makes of `lengths` samples (the reference's name)."""
        return feature_lengths(lengths, self.config)


def under_weight_norm(module: nn.Module) -> bool:
    """Whether `module`'s weight is computed by a parametrization (the positional conv's)."""
    return hasattr(module, "parametrizations")


class SpeechModel:
    """Mixin for the base model: waveform -> contextual frame states (`last_hidden_state`).

    Put it before the architecture's `SpeechPreTrainedModel` subclass in the bases.
    """

    feature_projection_class: ClassVar[type[nn.Module]]
    encoder_class: ClassVar[type[nn.Module]]
    stable_encoder_class: ClassVar[type[nn.Module]]
    #: the output when the projection also returns the CNN features (`extract_features`)
    features_output_class: ClassVar[type[ModelOutput]] = BaseModelOutput

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        self.feature_extractor = ConvFeatureEncoder(config)
        self.feature_projection = self.feature_projection_class(config)
        if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0:
            self.masked_spec_embed = nn.Parameter(torch.empty(config.hidden_size).uniform_())
        stable = getattr(config, "do_stable_layer_norm", False)
        self.encoder = (self.stable_encoder_class if stable else self.encoder_class)(config)
        self.post_init()  # type: ignore[attr-defined]

    def freeze_feature_encoder(self) -> None:
        """Stop training the convolutional feature encoder (the usual fine-tuning recipe)."""
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
        output_attentions, output_hidden_states = self.output_flags(  # type: ignore[attr-defined]
            output_attentions, output_hidden_states
        )
        config = self.config  # type: ignore[attr-defined]
        features = self.feature_extractor(input_values).transpose(1, 2)
        frame_mask = None
        if attention_mask is not None:
            frame_mask = frame_attention_mask(features.shape[1], attention_mask, config)
        projected = self.feature_projection(features)
        hidden, extracted = projected if isinstance(projected, tuple) else (projected, None)
        if mask_time_indices is not None and getattr(config, "apply_spec_augment", True):
            embed = self.masked_spec_embed.to(hidden.dtype)
            hidden = torch.where(mask_time_indices[..., None].bool(), embed, hidden)
        hidden, all_hidden, attentions = self.encoder(
            hidden, frame_mask, output_attentions, output_hidden_states
        )
        fields: dict[str, Any] = {
            "last_hidden_state": hidden,
            "hidden_states": all_hidden,
            "attentions": attentions,
        }
        output_class: type[ModelOutput] = BaseModelOutput
        if extracted is not None:
            fields["extract_features"] = extracted
            output_class = self.features_output_class
        return self.model_outputs(output_class(**fields), return_dict)  # type: ignore[attr-defined]


__all__ = ["SpeechModel", "SpeechPreTrainedModel", "under_weight_norm"]
