"""`BeitConfig`: the reference's `config.json` fields for BEiT, names and defaults."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError

#: Every field and its default (`microsoft/beit-base-patch16-224-pt22k`), reference spelling.
DEFAULTS: dict[str, Any] = {
    "vocab_size": 8192,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "image_size": 224,
    "patch_size": 16,
    "num_channels": 3,
    "use_mask_token": False,
    "use_absolute_position_embeddings": False,
    "use_relative_position_bias": False,
    "use_shared_relative_position_bias": False,
    "layer_scale_init_value": 0.1,
    "drop_path_rate": 0.1,
    "use_mean_pooling": True,
    # semantic segmentation (UperNet decode head, FCN auxiliary head)
    "pool_scales": [1, 2, 3, 6],
    "use_auxiliary_head": True,
    "auxiliary_loss_weight": 0.4,
    "auxiliary_channels": 256,
    "auxiliary_num_convs": 1,
    "auxiliary_concat_input": False,
    "semantic_loss_ignore_index": 255,
    "out_indices": None,
}


class BeitConfig(PretrainedConfig):
    """Configuration of a BEiT model."""

    model_type: ClassVar[str] = "beit"

    def __init__(self, **kwargs: Any) -> None:
        features = kwargs.pop("out_features", None)
        for key, default in DEFAULTS.items():
            value = kwargs.pop(key, default)
            setattr(self, key, list(value) if isinstance(value, tuple) else value)
        self.align_outputs(features)
        super().__init__(**kwargs)

    def align_outputs(self, features: list[str] | None = None) -> None:
        """`out_indices` and `out_features` (stage names: "stem", "stage1", ...) naming the
        same layers, as the reference's backbone configs keep them: either one gives the other,
        and with neither the last layer is the output."""
        if self.out_indices is None:
            self.out_indices = (
                [0 if name == "stem" else int(name.removeprefix("stage")) for name in features]
                if features
                else [self.num_hidden_layers]
            )
        self.out_indices = list(self.out_indices)
        self.out_features = ["stem" if i == 0 else f"stage{i}" for i in self.out_indices]

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("hidden_size", "num_hidden_layers", "num_attention_heads")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"BeitConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )
