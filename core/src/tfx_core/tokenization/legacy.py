"""Build a tokenizer from legacy vocabulary files through the `tfx_tokenizer_converters` hook.

Converters are declared through the hook (`TokenizerConverterSpec(name, converter, files,
model_types)`): the core's own for the common families (see `converters.catalog`), and any a
plugin adds. This module picks one for a folder, as the reference picks a tokenizer class: the
`tokenizer_class` of tokenizer_config.json decides first, then the checkpoint's `model_type`
(config.json), then any converter whose files are all present, most specific first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfx_core.errors import TfxError, TokenizerError
from tfx_core.tokenization.files import TOKENIZER_FILE


def _converter_specs() -> list[Any]:
    from tfx_core.plugins import get_registry

    return list(get_registry().tokenizer_converters())


def _architecture_converter(model_type: str) -> str | None:
    from tfx_core.plugins import get_registry

    try:
        return get_registry().architecture(model_type).tokenizer_converter
    except TfxError:
        return None


def converter_files() -> tuple[str, ...]:
    """Every file name an installed converter reads (fetched from the Hub with the tokenizer)."""
    try:
        specs = _converter_specs()
    except TfxError:
        return ()
    return tuple(sorted({name for spec in specs for name in spec.files}))


def choose_converter(
    folder: Path, model_types: list[str], tokenizer_class: str | None = None
) -> tuple[str, str] | None:
    """(name, "module:function") of the converter for `folder`, or None if none applies."""
    from tfx_core.tokenization.converters.catalog import family_for_class

    family = family_for_class(tokenizer_class)
    if family is not None and all((folder / name).is_file() for name in family.files):
        return family.name, family.reference
    specs = _converter_specs()
    present = [spec for spec in specs if all((folder / name).is_file() for name in spec.files)]
    for model_type in model_types:
        for spec in present:
            if model_type in spec.model_types:
                return spec.name, spec.converter
        reference = _architecture_converter(model_type)
        if reference is not None:
            return f"{model_type} architecture", reference
    present.sort(key=lambda spec: (bool(spec.model_types), -len(spec.files), spec.name))
    if present:
        return present[0].name, present[0].converter
    return None


def convert_legacy(
    folder: Path,
    tokenizer_config: dict,
    model_types: list[str],
    tokenizer_class: str | None = None,
) -> Any:
    """A `tokenizers.Tokenizer` built by a converter, or an error saying what is missing."""
    from tfx_core.utils.imports import import_string

    choice = choose_converter(folder, model_types, tokenizer_class)
    if choice is None:
        present = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        raise TokenizerError(
            f"No tokenizer in {folder}: there is no {TOKENIZER_FILE}, and no converter knows the "
            f"files there ({', '.join(present) or 'none'}). tfx converts vocab.txt (WordPiece), "
            "vocab.json + merges.txt (byte-level BPE) and SentencePiece .model files; other "
            "formats need the plugin of that architecture installed."
        )
    name, reference = choice
    convert = import_string(reference)
    try:
        backend = convert(folder, tokenizer_config)
    except TfxError:
        raise
    except Exception as exc:
        raise TokenizerError(
            f"The tokenizer converter {name!r} ({reference}) failed on {folder}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    from tokenizers import Tokenizer as RustTokenizer

    if not isinstance(backend, RustTokenizer):
        raise TokenizerError(
            f"The tokenizer converter {name!r} ({reference}) returned {type(backend).__name__}, "
            "not a tokenizers.Tokenizer."
        )
    return backend
