"""`Wav2Vec2Config`: the reference's `config.json` fields for Wav2Vec2, names and defaults."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

#: Every field and its default (`facebook/wav2vec2-base`), in the reference's spelling.
DEFAULTS: dict[str, Any] = {
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
    "feat_quantizer_dropout": 0.0,
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
    "num_codevectors_per_group": 320,
    "num_codevector_groups": 2,
    "contrastive_logits_temperature": 0.1,
    "num_negatives": 100,
    "codevector_dim": 256,
    "proj_codevector_dim": 256,
    "diversity_loss_weight": 0.1,
    "tdnn_dim": [512, 512, 512, 512, 1500],
    "tdnn_kernel": [5, 3, 3, 1, 1],
    "tdnn_dilation": [1, 2, 3, 1, 1],
    "xvector_output_dim": 512,
    "add_adapter": False,
}


class Wav2Vec2Config(PretrainedConfig):
    """Configuration of a Wav2Vec2 model (defaults: `facebook/wav2vec2-base`)."""

    model_type: ClassVar[str] = "wav2vec2"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

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
        self.require_positive_int("hidden_size", "num_hidden_layers", "num_attention_heads")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{type(self).__name__}: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
        if not len(self.conv_dim) == len(self.conv_stride) == len(self.conv_kernel):
            raise ConfigError(
                f"{type(self).__name__}: conv_dim, conv_stride and conv_kernel must have the same "
                f"length, got {len(self.conv_dim)}, {len(self.conv_stride)} and "
                f"{len(self.conv_kernel)}."
            )
        if self.add_adapter:
            raise ConfigError(
                f"{type(self).__name__}: add_adapter=True checkpoints are not supported by this "
                "plugin yet."
            )
