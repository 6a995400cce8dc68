"""Read a tokenizer folder: merged configuration, then the `tokenizers` backend.

The reference merges three sources, in this order: `tokenizer_config.json`, then (for older
checkpoints without `added_tokens_decoder`) `special_tokens_map.json`, then the caller's keyword
arguments. The backend is `tokenizer.json`, or a plugin's conversion of the legacy files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import backend as backend_utils
from tfx_core.tokenization import files, legacy
from tfx_core.tokenization.profiles import model_type_hint
from tfx_core.tokenization.special_tokens import SPECIAL_TOKEN_ATTRIBUTES


def read_config(folder: Path, overrides: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The merged tokenizer configuration and the checkpoint's model_type (if it says)."""
    config = dict(
        files.read_json(folder / files.TOKENIZER_CONFIG_FILE, what="tokenizer config") or {}
    )
    special_map = files.read_json(folder / files.SPECIAL_TOKENS_MAP_FILE, what="special tokens map")
    try:
        model_config = files.read_json(folder / files.MODEL_CONFIG_FILE, what="model config") or {}
    except TokenizerError:
        model_config = {}  # only a hint here; loading the model reports a broken config.json
    if "added_tokens_decoder" not in config:
        _merge_special_tokens_map(config, special_map or {}, overrides)
    templates = files.read_chat_templates(folder)
    if templates is not None:
        config["chat_template"] = templates
    config.update(overrides)
    if "tokenizer_class" not in config and model_config.get("tokenizer_class"):
        config["tokenizer_class"] = model_config["tokenizer_class"]
    return config, model_config.get("model_type")


def load_backend(folder: Path, config: dict[str, Any], model_type: str | None) -> Any:
    """`tokenizer.json`, or the legacy files converted by a plugin (which may fill `config`)."""
    tokenizer_file = folder / files.TOKENIZER_FILE
    if tokenizer_file.is_file():
        return backend_utils.load_tokenizer_file(tokenizer_file)
    hints = [t for t in (model_type, model_type_hint(config.get("tokenizer_class"))) if t]
    backend = legacy.convert_legacy(folder, config, hints)
    _merge_added_tokens_file(config, folder)
    return backend


def _merge_special_tokens_map(config: dict, special_map: dict, overrides: dict) -> None:
    """special_tokens_map.json fills in roles, as the reference does for older checkpoints."""
    for role, value in special_map.items():
        if overrides.get(role):
            continue
        if isinstance(value, dict):
            value = {**value, "special": True}
        elif role == "additional_special_tokens" and isinstance(value, list):
            merged = list(config.get("additional_special_tokens") or [])
            contents = {item["content"] if isinstance(item, dict) else item for item in merged}
            for item in value:
                if isinstance(item, dict):
                    item = {**item, "special": True}
                content = item["content"] if isinstance(item, dict) else item
                if content not in contents:
                    merged.append(item)
                    contents.add(content)
            value = merged
        config[role] = value


def _merge_added_tokens_file(config: dict, folder: Path) -> None:
    """Legacy added_tokens.json ({token: id}) becomes added_tokens_decoder entries."""
    if "added_tokens_decoder" in config:
        return
    added = files.read_json(folder / files.ADDED_TOKENS_FILE, what="added tokens")
    if not added:
        return
    specials = set()
    for role in SPECIAL_TOKEN_ATTRIBUTES:
        value = config.get(role)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                specials.add(item["content"] if isinstance(item, dict) else str(item))
    config["added_tokens_decoder"] = {
        int(index): {
            "content": content,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": content not in specials,
            "special": content in specials,
        }
        for content, index in added.items()
    }
