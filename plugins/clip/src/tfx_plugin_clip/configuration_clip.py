"""`CLIPConfig` and its towers' `CLIPTextConfig` / `CLIPVisionConfig`, the reference's fields.

A `CLIPConfig` holds the two towers' configs (`text_config`, `vision_config`), written into
`config.json` as nested objects like the reference does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError


class _TowerConfig(PretrainedConfig):
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **kwargs: Any) -> None:
        for key, default in self.defaults.items():
            setattr(self, key, kwargs.pop(key, default))
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        self.require_positive_int("hidden_size", "num_hidden_layers", "num_attention_heads")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{type(self).__name__}: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})."
            )


class CLIPTextConfig(_TowerConfig):
    """The text tower (defaults: `openai/clip-vit-base-patch32`)."""

    model_type: ClassVar[str] = "clip_text_model"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 49408,
        "hidden_size": 512,
        "intermediate_size": 2048,
        "projection_dim": 512,
        "num_hidden_layers": 12,
        "num_attention_heads": 8,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-5,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "initializer_factor": 1.0,
    }

    def __init__(
        self,
        pad_token_id: int = 1,
        bos_token_id: int = 49406,
        eos_token_id: int = 49407,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pad_token_id=pad_token_id,
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            **kwargs,
        )


class CLIPVisionConfig(_TowerConfig):
    """The vision tower (defaults: `openai/clip-vit-base-patch32`)."""

    model_type: ClassVar[str] = "clip_vision_model"
    defaults: ClassVar[dict[str, Any]] = {
        "hidden_size": 768,
        "intermediate_size": 3072,
        "projection_dim": 512,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "num_channels": 3,
        "image_size": 224,
        "patch_size": 32,
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-5,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "initializer_factor": 1.0,
    }


def _tower(value: Any, cls: type[_TowerConfig]) -> _TowerConfig:
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if isinstance(value, PretrainedConfig):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise ConfigError(f"CLIPConfig: expected a dict for the {cls.__name__}, got {value!r}.")
    value = {k: v for k, v in value.items() if k not in ("model_type", "tfx_version")}
    return cls(**value)


class CLIPConfig(PretrainedConfig):
    """Both towers, the shared projection size and the initial logit scale."""

    model_type: ClassVar[str] = "clip"

    def __init__(
        self,
        text_config: Any = None,
        vision_config: Any = None,
        projection_dim: int = 512,
        logit_scale_init_value: float = 2.6592,
        initializer_factor: float = 1.0,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("text_config_dict", None)
        kwargs.pop("vision_config_dict", None)
        self.text_config = _tower(text_config, CLIPTextConfig)
        self.vision_config = _tower(vision_config, CLIPVisionConfig)
        self.projection_dim = projection_dim
        self.logit_scale_init_value = logit_scale_init_value
        self.initializer_factor = initializer_factor
        self.initializer_range = 0.02
        super().__init__(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        towers = {"text_config": self.text_config, "vision_config": self.vision_config}
        for name in towers:
            del self.__dict__[name]
        try:
            output = super().to_dict()
        finally:
            self.__dict__.update(towers)
        for name, tower in towers.items():
            data = tower.to_dict()
            data.pop("tfx_version", None)
            output[name] = data
        return dict(sorted(output.items()))
