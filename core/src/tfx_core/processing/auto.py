"""`AutoImageProcessor`, `AutoFeatureExtractor`, `AutoProcessor`: the class a checkpoint names.

`preprocessor_config.json` names its class (`image_processor_type`, `feature_extractor_type`,
`processor_class`). That name is looked up among the processors plugins declare on their
`ArchitectureSpec.processors` and the core's generic ones; failing that, the checkpoint's
`model_type` picks its plugin's processor; failing that, the core's generic class for the kind
of input reads the settings. Names are matched as data, never imported from the file.
"""

from __future__ import annotations

import os
from typing import Any

from tfx_core.errors import ConfigError, HubError, ProcessorError, TokenizerError
from tfx_core.processing.base import _HUB_KWARGS, Preprocessor
from tfx_core.utils.imports import import_string, split_reference

#: The core's generic classes, by the names a `preprocessor_config.json` may record.
CORE_CLASSES = {
    "ImageProcessor": "tfx_core.processing.image_processor:ImageProcessor",
    "WaveformFeatureExtractor": "tfx_core.processing.feature_extractor:WaveformFeatureExtractor",
    "LogMelFeatureExtractor": "tfx_core.processing.log_mel:LogMelFeatureExtractor",
    "Processor": "tfx_core.processing.processor:Processor",
}


def declared_classes() -> dict[str, str]:
    """Class name -> "module:Class" for every processor installed plugins declare, then the core's."""
    from tfx_core.plugins import get_registry

    table: dict[str, str] = {}
    for specs in get_registry().architectures().values():
        for spec in specs:
            for reference in spec.processors:
                table.setdefault(split_reference(reference)[1].rsplit(".", 1)[-1], reference)
    for name, reference in CORE_CLASSES.items():
        table.setdefault(name, reference)
    return table


def _model_type(path_or_id: str | os.PathLike, hub_kwargs: dict) -> str | None:
    from tfx_core.config import PretrainedConfig

    try:
        return PretrainedConfig.read_config_file(path_or_id, **hub_kwargs).get("model_type")
    except (ConfigError, HubError, OSError):
        return None


def _plugin_classes(model_type: str | None) -> list[type]:
    if not model_type:
        return []
    from tfx_core.errors import PluginError
    from tfx_core.plugins import get_registry

    try:
        spec = get_registry().architecture(model_type)
    except PluginError:
        return []
    return [import_string(reference) for reference in spec.processors]


def _class_named(name: str | None) -> type | None:
    if not name:
        return None
    table = declared_classes()
    for candidate in (
        name,
        name.removesuffix("Fast"),
        name.replace("FeatureExtractor", "ImageProcessor"),
    ):
        if candidate in table:
            return import_string(table[candidate])
    return None


def resolve_preprocessor_class(
    settings: dict[str, Any], kind: str, model_type: str | None = None
) -> type:
    """The class for `settings` (a parsed preprocessor_config.json); `kind` "image" or "audio"."""
    from tfx_core.processing.feature_extractor import SequenceFeatureExtractor
    from tfx_core.processing.image_processor import ImageProcessor

    base: type = ImageProcessor if kind == "image" else SequenceFeatureExtractor
    if kind == "audio" and "image_processor_type" in settings:
        base = ImageProcessor  # AutoFeatureExtractor on an image checkpoint, like the reference
    names = [settings.get("image_processor_type"), settings.get("feature_extractor_type")]
    for name in names:
        found = _class_named(name)
        if isinstance(found, type) and issubclass(found, base):
            return found
    for found in _plugin_classes(model_type):
        if isinstance(found, type) and issubclass(found, base):
            return found
    if base is ImageProcessor:
        return ImageProcessor
    if "num_mel_bins" in settings:
        return import_string(CORE_CLASSES["LogMelFeatureExtractor"])
    return import_string(CORE_CLASSES["WaveformFeatureExtractor"])


def _load(path_or_id: str | os.PathLike, kind: str, kwargs: dict[str, Any]) -> Preprocessor:
    hub_kwargs = {key: kwargs.pop(key) for key in _HUB_KWARGS if key in kwargs}
    settings = Preprocessor.read_config_file(path_or_id, **hub_kwargs)
    cls = resolve_preprocessor_class(settings, kind, _model_type(path_or_id, hub_kwargs))
    return cls.from_dict(settings, **kwargs)


class AutoImageProcessor:
    """`AutoImageProcessor.from_pretrained(path_or_id, **overrides)`."""

    def __init__(self) -> None:
        raise TypeError("Use AutoImageProcessor.from_pretrained(...).")

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Any:
        kwargs.pop("use_fast", None)  # reference compatibility: one implementation here
        return _load(path_or_id, "image", kwargs)


class AutoFeatureExtractor:
    """`AutoFeatureExtractor.from_pretrained(path_or_id, **overrides)` (audio extractors)."""

    def __init__(self) -> None:
        raise TypeError("Use AutoFeatureExtractor.from_pretrained(...).")

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Any:
        return _load(path_or_id, "audio", kwargs)


def load_parts(path_or_id: str | os.PathLike, **kwargs: Any) -> dict[str, Any]:
    """The tokenizer and the image processor or feature extractor a checkpoint has."""
    from tfx_core.tokenization import Tokenizer

    hub_kwargs = {key: kwargs[key] for key in _HUB_KWARGS if key in kwargs}
    parts: dict[str, Any] = {}
    try:
        settings = Preprocessor.read_config_file(path_or_id, **hub_kwargs)
    except ProcessorError:
        settings = None
    if settings is not None:
        model_type = _model_type(path_or_id, hub_kwargs)
        is_image = "image_processor_type" in settings or "image_mean" in settings
        kind = "image" if is_image else "audio"
        preprocessor = resolve_preprocessor_class(settings, kind, model_type).from_dict(settings)
        parts["image_processor" if is_image else "feature_extractor"] = preprocessor
    try:
        parts["tokenizer"] = Tokenizer.from_pretrained(path_or_id, **hub_kwargs)
    except (TokenizerError, HubError, ConfigError, OSError):
        if not parts:
            raise
    if not parts:
        raise ProcessorError(f"{path_or_id} has neither a tokenizer nor a preprocessor config.")
    return parts


class AutoProcessor:
    """`AutoProcessor.from_pretrained(path_or_id)`: a `Processor` for a checkpoint with a
    tokenizer and an image processor or feature extractor; the one part alone otherwise."""

    def __init__(self) -> None:
        raise TypeError("Use AutoProcessor.from_pretrained(...).")

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Any:
        from tfx_core.processing.processor import Processor

        parts = load_parts(path_or_id, **kwargs)
        if len(parts) == 1:
            return next(iter(parts.values()))
        hub_kwargs = {key: kwargs[key] for key in _HUB_KWARGS if key in kwargs}
        name = Preprocessor.read_config_file(path_or_id, **hub_kwargs).get("processor_class")
        processor_class = _class_named(name)
        if not (isinstance(processor_class, type) and issubclass(processor_class, Processor)):
            processor_class = Processor
        return processor_class(**parts)
