"""`SpeechEncoderConfig`: the config.json fields of the wav2vec2-style speech encoders, once.

Wav2Vec2 and HuBERT read a waveform through a stack of 1-D convolutions, then run a
transformer over the frames; they share these fields, names, defaults and checks. An
architecture's config sets its `model_type` and `defaults` (the shared ones plus its own), and
`unsupported` (flags whose checkpoints the plugin does not load yet):

```python
class HubertConfig(SpeechEncoderConfig):
    model_type = "hubert"
    defaults = {**SPEECH_DEFAULTS, "feat_proj_layer_norm": True, "conv_pos_batch_norm": False}
    unsupported = ("conv_pos_batch_norm",)
```
No framework is imported here (configs are read at discovery).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

__all__ = ["SPEECH_DEFAULTS", "SpeechEncoderConfig"]

#: The fields every speech encoder has, with the reference's defaults (base-size checkpoints).
SPEECH_DEFAULTS: dict[str, Any] = {
    "vocab_size": 32,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout": 0.1,
    "activation_dropout": 0.1,
    "attention_dropout": 0.1,
    "feat_proj_dropout": 0.0,
    "final_dropout": 0.1,
    "layerdrop": 0.1,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-5,
    "feat_extract_norm": "group",
    "feat_extract_activation": "gelu",
    "conv_dim": [512, 512, 512, 512, 512, 512, 512],
    "conv_stride": [5, 2, 2, 2, 2, 2, 2],
    "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
    "conv_bias": False,
    "num_conv_pos_embeddings": 128,
    "num_conv_pos_embedding_groups": 16,
    "do_stable_layer_norm": False,
    "apply_spec_augment": True,
    "mask_time_prob": 0.05,
    "mask_time_length": 10,
    "mask_time_min_masks": 2,
    "mask_feature_prob": 0.0,
    "mask_feature_length": 10,
    "mask_feature_min_masks": 0,
    "ctc_loss_reduction": "sum",
    "ctc_zero_infinity": False,
    "use_weighted_layer_sum": False,
    "classifier_proj_size": 256,
}


class SpeechEncoderConfig(PretrainedConfig):
    """Conv feature extractor + transformer encoder hyper-parameters (see the module docstring)."""

    defaults: ClassVar[dict[str, Any]] = SPEECH_DEFAULTS
    #: boolean fields whose `True` this plugin cannot load yet
    unsupported: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        pad_token_id: int | None = 0,
        bos_token_id: int | None = 1,
        eos_token_id: int | None = 2,
        **kwargs: Any,
    ) -> None:
        for key, default in self.defaults.items():
            value = kwargs.pop(key, default)
            setattr(self, key, list(value) if isinstance(value, tuple) else value)
        kwargs.pop("num_feat_extract_layers", None)
        self.num_feat_extract_layers = len(self.conv_dim)
        super().__init__(
            pad_token_id=pad_token_id,
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            **kwargs,
        )

    @property
    def inputs_to_logits_ratio(self) -> int:
        """Waveform samples per output frame (the product of the conv strides)."""
        return math.prod(self.conv_stride)

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        self.require_positive_int("hidden_size", "num_hidden_layers", "num_attention_heads")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{name}: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        if not len(self.conv_dim) == len(self.conv_stride) == len(self.conv_kernel):
            raise ConfigError(
                f"{name}: conv_dim, conv_stride and conv_kernel must have the same "
                f"length, got {len(self.conv_dim)}, {len(self.conv_stride)} and "
                f"{len(self.conv_kernel)}."
            )
        for field in self.unsupported:
            if getattr(self, field, False):
                raise ConfigError(
                    f"{name}: {field}=True checkpoints are not supported by this plugin yet."
                )
