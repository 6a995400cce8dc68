"""What the Keras and Flax model scaffolding share, free of any framework import.

- `load_config`: the config a `from_pretrained` builds from (the folder's, the caller's, and
  keyword overrides; unknown keywords are a `ConfigError`).
- `snapshot_folder`: the local folder of a checkpoint (a path, or a Hub id downloaded).
- `finish_loading`: a load report raised (strict) or warned about, never silently random weights.
- `FrameworkAuto`: the `TFAutoModel...` / `FlaxAutoModel...` mixin that always resolves its
  framework's implementation of the head.
- `GenerationConfigMixin`: `generation_config` (from the model config until set, saved as
  `generation_config.json` and read back on load); a framework decides where it is kept.
- `check_ids_or_embeds`: the `ConfigError` unless exactly one of the two inputs is given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from tfx_core import hub
from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError, GenerationError
from tfx_core.generation.config import GENERATION_CONFIG_NAME, GenerationConfig

__all__ = [
    "FrameworkAuto",
    "GenerationConfigMixin",
    "check_ids_or_embeds",
    "finish_loading",
    "load_config",
    "snapshot_folder",
]


def check_ids_or_embeds(owner: Any, input_ids: Any, inputs_embeds: Any, prefix: str = "") -> None:
    """A `ConfigError` naming `owner`'s class unless exactly one of `{prefix}input_ids` and
    `{prefix}inputs_embeds` is given."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ConfigError(
            f"{type(owner).__name__}: pass exactly one of {prefix}input_ids or "
            f"{prefix}inputs_embeds."
        )


def load_config(
    cls: type, folder: Path, config: PretrainedConfig | None, overrides: dict[str, Any]
) -> PretrainedConfig:
    """`cls.config_class` read from `folder` with `overrides`, or the caller's `config` (a copy
    with the overrides applied)."""
    if config is None:
        config, unused = cls.config_class.from_pretrained(  # type: ignore[attr-defined]
            folder, return_unused_kwargs=True, **overrides
        )
        if unused:
            raise ConfigError(
                f"Unknown arguments for {cls.__name__}.from_pretrained: "
                f"{', '.join(sorted(unused))} (neither loading options nor config fields)."
            )
        return config
    if not isinstance(config, PretrainedConfig):
        raise ConfigError(f"config must be a PretrainedConfig, got {type(config).__name__}.")
    if overrides:
        config = type(config).from_dict(config.to_dict(), **overrides)
    return config


def snapshot_folder(
    path_or_id: str | os.PathLike,
    allow_pickle: bool,
    revision: str | None,
    local_files_only: bool | None,
    cache_dir: str | os.PathLike | None,
    token: str | bool | None,
) -> Path:
    """The local folder of a checkpoint (configs and safetensors; `*.bin` only when pickle
    files are allowed)."""
    patterns = ["*.json", "*.safetensors", *(["*.bin"] if allow_pickle else [])]
    return hub.resolve_snapshot(
        path_or_id,
        revision=revision,
        allow_patterns=patterns,
        local_files_only=local_files_only,
        cache_dir=cache_dir,
        token=token,
    )


def finish_loading(report: Any, strict: bool, source: Any, class_name: str) -> None:
    """Raise on what did not load (`strict`), else warn about it, as the PyTorch side does."""
    if strict:
        report.raise_if_problems()
    else:
        report.warn_if_problems(str(source), class_name)


class FrameworkAuto:
    """Mixed in before an `auto.AutoModel...` class: the head's `framework` implementation,
    whatever `framework=` the caller passes."""

    head: str
    framework: ClassVar[str]

    @classmethod
    def model_class_for(cls, config: PretrainedConfig, framework: str | None = None) -> type:
        from tfx_core import auto

        return auto.resolve_model_class(config, cls.head, cls.framework)

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> Any:
        kwargs.pop("framework", None)
        return cls.model_class_for(config).from_config(config, **kwargs)


class GenerationConfigMixin:
    """`generation_config` persistence for a model class; `_stored_generation_config` /
    `_store_generation_config` say where the value lives (the instance's `__dict__` here)."""

    config: PretrainedConfig

    def _stored_generation_config(self) -> GenerationConfig | None:
        return self.__dict__.get("_generation_config")

    def _store_generation_config(self, value: GenerationConfig) -> None:
        self.__dict__["_generation_config"] = value

    @property
    def generation_config(self) -> GenerationConfig:
        config = self._stored_generation_config()
        if config is None:
            config = GenerationConfig.from_model_config(self.config)
            self._store_generation_config(config)
        return config

    @generation_config.setter
    def generation_config(self, value: GenerationConfig) -> None:
        if not isinstance(value, GenerationConfig):
            raise GenerationError(
                f"generation_config must be a GenerationConfig, got {type(value).__name__}."
            )
        self._store_generation_config(value)

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def _after_load(self, folder: Path) -> None:
        """After `from_pretrained`: read the checkpoint's `generation_config.json`, if any."""
        super()._after_load(folder)  # type: ignore[misc]
        path = Path(folder) / GENERATION_CONFIG_NAME
        if path.is_file():
            self.generation_config = GenerationConfig.from_pretrained(path)

    def _save_extra_files(self, folder: Path) -> None:
        """During `save_pretrained` (inside its atomic folder): write `generation_config.json`."""
        super()._save_extra_files(folder)  # type: ignore[misc]
        self.generation_config.save_pretrained(folder)
