"""Shared base of image processors and feature extractors: settings in `preprocessor_config.json`.

A processor's settings are plain data: the class's `defaults` updated by the file (or keyword
arguments). Keys a class does not know are kept and written back, like `config.json`'s. The file
names the class under `image_processor_type` / `feature_extractor_type`, as the reference does.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from tfx_core.config import load_json_file, write_text_atomic
from tfx_core.errors import ProcessorError

PREPROCESSOR_CONFIG = "preprocessor_config.json"
_HUB_KWARGS = ("revision", "local_files_only", "cache_dir", "token")


class Preprocessor:
    """Settings held as attributes; `from_pretrained` / `save_pretrained` / `to_dict`."""

    #: The key naming the class in `preprocessor_config.json`.
    type_key: ClassVar[str] = ""
    #: Every setting and its default; a subclass overrides some (e.g. CLIP's image mean).
    defaults: ClassVar[dict[str, Any]] = {}
    #: The model inputs this processor produces, in order.
    model_input_names: ClassVar[list[str]] = []

    def __init__(self, **settings: Any) -> None:
        settings.pop(self.type_key, None)
        values = copy.deepcopy(dict(self.defaults))
        values.update(settings)
        for key, value in values.items():
            setattr(self, key, value)
        self._keys = list(values)
        self.validate()

    def validate(self) -> None:
        """Check the settings; raise `ProcessorError` naming the bad one."""

    # ------------------------------------------------------------------ files
    @classmethod
    def read_config_file(cls, path_or_id: str | os.PathLike, **hub_kwargs: Any) -> dict[str, Any]:
        """Parse `preprocessor_config.json` of a local folder, a file, or a Hub id."""
        path = Path(path_or_id)
        if path.is_file():
            return load_json_file(path, what="preprocessor config")
        from tfx_core import hub

        found = hub.resolve_file(path_or_id, PREPROCESSOR_CONFIG, required=False, **hub_kwargs)
        if found is None:
            raise ProcessorError(
                f"{path_or_id} has no {PREPROCESSOR_CONFIG}, so its image or audio "
                "preprocessing is unknown. Save one with the processor's save_pretrained(), or "
                "build the processor from its settings (e.g. ImageProcessor(size=...))."
            )
        return load_json_file(found, what="preprocessor config")

    @classmethod
    def from_dict(cls, settings: dict[str, Any], **overrides: Any) -> Preprocessor:
        return cls(**{**settings, **overrides})

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Preprocessor:
        """Load the settings of a checkpoint; keyword arguments override them."""
        hub_kwargs = {key: kwargs.pop(key) for key in _HUB_KWARGS if key in kwargs}
        return cls.from_dict(cls.read_config_file(path_or_id, **hub_kwargs), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        data = {key: copy.deepcopy(getattr(self, key)) for key in self._keys}
        data[self.type_key] = type(self).__name__
        return data

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, save_directory: str | os.PathLike) -> Path:
        """Write `preprocessor_config.json` into `save_directory` atomically."""
        folder = Path(save_directory)
        if folder.exists() and not folder.is_dir():
            raise ProcessorError(f"Cannot save into {folder}: it is a file, not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / PREPROCESSOR_CONFIG
        write_text_atomic(target, self.to_json_string())
        return target

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"


def require(condition: bool, message: str) -> None:
    """Raise `ProcessorError(message)` unless `condition`."""
    if not condition:
        raise ProcessorError(message)
