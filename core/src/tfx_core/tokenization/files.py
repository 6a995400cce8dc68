"""Tokenizer files: where they are, and reading them with errors that name the file.

A tokenizer folder holds `tokenizer.json` (the canonical `tokenizers` serialization) or legacy
vocabulary files that a plugin converts, plus `tokenizer_config.json` and
`special_tokens_map.json` for everything `tokenizer.json` does not say (special-token roles,
maximum length, padding side, chat template).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tfx_core.errors import TfxError, TokenizerError

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"
CHAT_TEMPLATE_DIR = "chat_templates"
MODEL_CONFIG_FILE = "config.json"

#: Files fetched from the Hub for a tokenizer (plus whatever the installed converters read).
TOKENIZER_FILES = (
    TOKENIZER_FILE,
    TOKENIZER_CONFIG_FILE,
    SPECIAL_TOKENS_MAP_FILE,
    ADDED_TOKENS_FILE,
    CHAT_TEMPLATE_FILE,
    f"{CHAT_TEMPLATE_DIR}/*.jinja",
    MODEL_CONFIG_FILE,
)


def read_json(path: Path, *, what: str, required: bool = False) -> dict[str, Any] | None:
    """Parse a JSON object file; None when it is absent and not required."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise TokenizerError(f"The {what} file {path} does not exist.") from None
        return None
    except (UnicodeDecodeError, OSError) as exc:
        raise TokenizerError(f"Cannot read the {what} file {path}: {exc}.") from exc
    from tfx_core.config import parse_json

    data = parse_json(text, source=f"The {what} file {path}", error=TokenizerError)
    if not isinstance(data, dict):
        raise TokenizerError(
            f"The {what} file {path} must hold a JSON object, not {type(data).__name__}."
        )
    return data


def read_chat_templates(folder: Path) -> str | dict[str, str] | None:
    """Chat templates saved as files (the reference's newer format), if any."""
    templates: dict[str, str] = {}
    single = folder / CHAT_TEMPLATE_FILE
    if single.is_file():
        templates["default"] = single.read_text(encoding="utf-8")
    named = folder / CHAT_TEMPLATE_DIR
    if named.is_dir():
        for path in sorted(named.glob("*.jinja")):
            templates[path.stem] = path.read_text(encoding="utf-8")
    if not templates:
        return None
    if list(templates) == ["default"]:
        return templates["default"]
    return templates


def resolve_folder(
    path_or_id: str | os.PathLike,
    *,
    revision: str | None = None,
    local_files_only: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
    extra_patterns: tuple[str, ...] = (),
) -> Path:
    """A local folder as it is, or the snapshot folder of a Hub repository."""
    from tfx_core import hub

    hub.check_path_or_id(path_or_id)
    path = Path(path_or_id)
    if path.is_dir():
        return path
    if path.is_file():
        raise TokenizerError(
            f"{path} is a file; pass the folder that holds the tokenizer files "
            f"({TOKENIZER_FILE}, {TOKENIZER_CONFIG_FILE}, ...)."
        )
    try:
        return Path(
            hub.resolve_snapshot(
                str(path_or_id),
                revision=revision,
                allow_patterns=[*TOKENIZER_FILES, *extra_patterns],
                local_files_only=local_files_only,
                cache_dir=cache_dir,
                token=token,
            )
        )
    except TfxError:
        raise
    except Exception as exc:  # a hub failure tfx_core.hub did not type
        raise TokenizerError(
            f"Could not find tokenizer files for {str(path_or_id)!r}: {type(exc).__name__}: {exc}"
        ) from exc
