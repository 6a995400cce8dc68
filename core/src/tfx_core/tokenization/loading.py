"""Read a tokenizer folder: merged configuration, then the `tokenizers` backend.

The reference merges three sources, in this order: `tokenizer_config.json`, then (for older
checkpoints without `added_tokens_decoder`) `special_tokens_map.json`, then the caller's keyword
arguments. The backend is `tokenizer.json`, or a converter's reading of the legacy files.
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
    check_config_types(config)
    model_type = model_config.get("model_type")
    return config, model_type if isinstance(model_type, str) else None


def load_backend(folder: Path, config: dict[str, Any], model_type: str | None) -> Any:
    """`tokenizer.json`, or the legacy files converted (the converter may fill `config`)."""
    tokenizer_file = folder / files.TOKENIZER_FILE
    if tokenizer_file.is_file():
        return backend_utils.load_tokenizer_file(tokenizer_file)
    hints = [t for t in (model_type, model_type_hint(config.get("tokenizer_class"))) if t]
    backend = legacy.convert_legacy(folder, config, hints, config.get("tokenizer_class"))
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


_FLAGS = (
    "clean_up_tokenization_spaces",
    "split_special_tokens",
    "do_lower_case",
    "add_prefix_space",
    "add_bos_token",
    "add_eos_token",
)
_MAX_INPUT_NAMES = ("input_ids", "token_type_ids", "attention_mask")


def check_config_types(config: dict[str, Any]) -> None:
    """Every tokenizer_config.json field tfx reads has the type it needs (untrusted files)."""

    def fail(field: str, expected: str) -> TokenizerError:
        value = repr(config[field])
        value = value if len(value) <= 80 else value[:77] + "..."
        return TokenizerError(
            f"tokenizer_config.json field {field!r} must be {expected}, got {value}. "
            "Fix the file or pass the right value as a keyword argument."
        )

    for field in ("model_max_length", "max_len"):
        value = config.get(field)
        if value is not None and not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value == value
            and 0 < value < float("inf")
        ):
            raise fail(field, "a positive integer")
        if isinstance(value, float):
            config[field] = int(value)
    names = config.get("model_input_names")
    if names is not None and not (
        isinstance(names, (list, tuple)) and names and all(isinstance(n, str) for n in names)
    ):
        raise fail("model_input_names", f"a non-empty list of names such as {_MAX_INPUT_NAMES}")
    template = config.get("chat_template")
    if template is not None and not (
        isinstance(template, str)
        or (
            isinstance(template, (list, tuple))
            and all(
                isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and isinstance(item.get("template"), str)
                for item in template
            )
        )
        or (
            isinstance(template, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in template.items())
        )
    ):
        raise fail("chat_template", 'a string or a list of {"name": ..., "template": ...}')
    decoder = config.get("added_tokens_decoder")
    if decoder is not None and not (
        isinstance(decoder, dict)
        and all(
            str(key).isdigit() and (isinstance(value, dict) or type(value).__name__ == "AddedToken")
            for key, value in decoder.items()
        )
    ):
        raise fail("added_tokens_decoder", 'a map of token ids to {"content": ...} entries')
    for field in ("tokenizer_class", "padding_side", "truncation_side", "name_or_path"):
        if config.get(field) is not None and not isinstance(config[field], str):
            raise fail(field, "a string")
    for field in _FLAGS:
        if config.get(field) is not None and not isinstance(config[field], bool):
            raise fail(field, "true or false")
    extra = config.get("extra_special_tokens")
    if extra is not None and not isinstance(extra, (dict, list, tuple)):
        raise fail("extra_special_tokens", "a map of names to tokens, or a list of tokens")


def convert_files(paths: list[Any], config: dict[str, Any]) -> Any:
    """The backend for a constructor given legacy files (`vocab_file=`, `merges_file=`, or in
    the family's order), converted by the family of `config["tokenizer_class"]`."""
    import shutil
    import tempfile

    from tfx_core.tokenization.converters.catalog import family_for_class
    from tfx_core.utils.imports import import_string

    named = [config.pop(key, None) for key in ("vocab_file", "merges_file")]
    paths = [path for path in (paths or named) if path is not None]
    tokenizer_class = config.get("tokenizer_class")
    family = family_for_class(tokenizer_class)
    if not paths:
        raise TokenizerError(
            "Nothing to build the tokenizer from: pass a tokenizers.Tokenizer, "
            "tokenizer_file='tokenizer.json', or the vocabulary files (vocab_file=...); or use "
            "from_pretrained(folder_or_hub_id)."
        )
    if family is None:
        raise TokenizerError(
            f"Cannot tell how to read {', '.join(map(str, paths))}: use a named class "
            "(BertTokenizerFast, GPT2TokenizerFast, T5TokenizerFast, ...) or pass "
            "tokenizer_class='BertTokenizer' (or another reference class name)."
        )
    if len(paths) != len(family.files):
        raise TokenizerError(
            f"{tokenizer_class} is built from {len(family.files)} file(s) "
            f"({', '.join(family.files)}), got {len(paths)}."
        )
    with tempfile.TemporaryDirectory() as tmp:
        for source, name in zip(paths, family.files):
            if not Path(source).is_file():
                raise TokenizerError(f"The vocabulary file {source} does not exist.")
            shutil.copyfile(source, Path(tmp) / name)
        return import_string(family.reference)(Path(tmp), config)
