"""`Tokenizer.save_pretrained`: the three files the reference library reads.

`tokenizer.json` keeps the padding/truncation it was loaded with (tools that use the file with
raw `tokenizers` expect them); `tokenizer_config.json` keeps every key tfx does not manage, so a
round trip loses nothing. All files are written under temporary names and then renamed, so an
error leaves the folder as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.files import (
    ADDED_TOKENS_FILE,
    SPECIAL_TOKENS_MAP_FILE,
    TOKENIZER_CONFIG_FILE,
    TOKENIZER_FILE,
)
from tfx_core.tokenization.special_tokens import (
    SPECIAL_TOKEN_ATTRIBUTES,
    serialize_token,
    token_to_dict,
)
from tfx_core.weights.atomic import atomic_directory


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def backend_json(tokenizer: Any) -> str:
    """The backend as tokenizer.json, with the padding/truncation of the file it came from."""
    backend = tokenizer.backend_tokenizer
    tokenizer._set_truncation(None)
    try:
        if tokenizer._saved_padding is not None:
            backend.enable_padding(**tokenizer._saved_padding)
        if tokenizer._saved_truncation is not None:
            backend.enable_truncation(**tokenizer._saved_truncation)
        return backend.to_str(pretty=True)
    finally:
        backend.no_padding()
        backend.no_truncation()
        tokenizer._trunc_state = None


def tokenizer_config(tokenizer: Any) -> dict[str, Any]:
    """tokenizer_config.json: the kept keys, the managed settings, special and added tokens."""
    config = dict(tokenizer._config)
    config.update(
        model_max_length=tokenizer.model_max_length,
        padding_side=tokenizer.padding_side,
        truncation_side=tokenizer.truncation_side,
        model_input_names=list(tokenizer.model_input_names),
        clean_up_tokenization_spaces=tokenizer.clean_up_tokenization_spaces,
    )
    if tokenizer.split_special_tokens:
        config["split_special_tokens"] = True
    if tokenizer.add_bos_token is not None:
        config["add_bos_token"] = tokenizer.add_bos_token
    if tokenizer.add_eos_token is not None:
        config["add_eos_token"] = tokenizer.add_eos_token
    for role in SPECIAL_TOKEN_ATTRIBUTES:
        value = tokenizer._special[role]
        if role == "additional_special_tokens":
            if value:
                config[role] = [serialize_token(t, with_type=True) for t in value]
            else:
                config.pop(role, None)
        elif value is not None:
            config[role] = serialize_token(value, with_type=True)
        else:
            config.pop(role, None)
    extra = tokenizer._extra_special
    config["extra_special_tokens"] = {
        name: serialize_token(value, with_type=True) for name, value in extra.items()
    }
    if tokenizer.chat_template is not None:
        template = tokenizer.chat_template
        config["chat_template"] = (
            [{"name": name, "template": text} for name, text in template.items()]
            if isinstance(template, dict)
            else template
        )
    config["added_tokens_decoder"] = {
        str(index): token_to_dict(token) for index, token in tokenizer.added_tokens_decoder.items()
    }
    config.setdefault("tokenizer_class", tokenizer._profile.class_name or "PreTrainedTokenizerFast")
    return config


def special_tokens_map(tokenizer: Any) -> dict[str, Any]:
    """special_tokens_map.json as the reference writes it (no type field, no 'special' flag)."""
    result: dict[str, Any] = {}
    for role, value in tokenizer.special_tokens_map_extended.items():
        if isinstance(value, list):
            result[role] = [serialize_token(t, with_type=False, with_special=False) for t in value]
        else:
            result[role] = serialize_token(value, with_type=False, with_special=False)
    return result


def vocabulary_files(tokenizer: Any, prefix: str | None = None) -> dict[str, str]:
    """The legacy vocabulary files of the backend's model (`vocab.txt` for WordPiece,
    `vocab.json` + `merges.txt` for BPE), by file name; an error for other models."""
    model = tokenizer.backend_tokenizer.model
    kind = type(model).__name__
    if kind not in ("WordPiece", "BPE"):
        raise TokenizerError(
            f"A {kind} model has no legacy vocabulary format tfx can write (SentencePiece "
            ".model files are not rebuilt); save with legacy_format=False (tokenizer.json)."
        )
    with tempfile.TemporaryDirectory() as tmp:
        names = [Path(path).name for path in model.save(tmp, prefix)]
        return {name: (Path(tmp) / name).read_text(encoding="utf-8") for name in names}


def _added_tokens_file(tokenizer: Any) -> str:
    base = tokenizer.vocab_size
    added = {t.content: i for i, t in tokenizer.added_tokens_decoder.items() if i >= base}
    return _dump(added)


def save_tokenizer(
    tokenizer: Any, folder: Path, legacy_format: bool | None = None, prefix: str | None = None
) -> tuple[str, ...]:
    """Write the tokenizer's files atomically; `legacy_format=True` writes the vocabulary files
    (and added_tokens.json) instead of tokenizer.json, as the reference does."""
    if folder.exists() and not folder.is_dir():
        raise TokenizerError(f"Cannot save a tokenizer into {folder}: it is a file, not a folder.")
    named = (lambda name: f"{prefix}-{name}") if prefix else (lambda name: name)
    contents = {
        named(TOKENIZER_CONFIG_FILE): _dump(tokenizer_config(tokenizer)),
        named(SPECIAL_TOKENS_MAP_FILE): _dump(special_tokens_map(tokenizer)),
    }
    if getattr(tokenizer, "legacy_files_only", False):
        pass  # a backend with Python parts (fastBPE): its legacy files come from _source_files
    elif legacy_format:
        contents.update(vocabulary_files(tokenizer, prefix))
        contents[named(ADDED_TOKENS_FILE)] = _added_tokens_file(tokenizer)
    else:
        contents[named(TOKENIZER_FILE)] = backend_json(tokenizer)
    contents.update({named(name): data for name, data in tokenizer._source_files().items()})
    # All files or none: written into a temp folder that replaces `folder` in one rename;
    # what else is there (a model's weights and config) is carried over.
    with atomic_directory(folder, keep_weights=True) as tmp:
        for name, data in contents.items():
            if isinstance(data, bytes):
                (tmp / name).write_bytes(data)
            else:
                (tmp / name).write_text(data, encoding="utf-8")
    return tuple(str(folder / name) for name in contents)


class SavingMixin:
    """`save_pretrained` and `push_to_hub` on `Tokenizer`."""

    #: Checkpoint files a family's reference tokenizer reads instead of tokenizer.json
    #: (`sentencepiece.bpe.model`, `vocab.json`, ...): kept when loading, written when saving.
    kept_files: ClassVar[tuple[str, ...]] = ()

    def _source_files(self) -> dict[str, bytes | str]:
        """Files saved next to tokenizer.json, by name: the `kept_files` read at loading (a
        family whose reference tokenizer reads only its own files keeps and writes them)."""
        return dict(getattr(self, "_files", {}))

    # ================================================================== saving
    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        legacy_format: bool | None = None,
        filename_prefix: str | None = None,
        *,
        push_to_hub: bool = False,
        repo_id: str | None = None,
        **hub_kwargs: Any,
    ) -> tuple[str, ...]:
        """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json.

        The reference library loads the folder to an identical tokenizer. Each file is written
        to a temporary name first and renamed into place, so readers never see half a file.
        `legacy_format=True` writes the vocabulary files (vocab.txt, or vocab.json + merges.txt)
        instead of tokenizer.json. With `push_to_hub=True` the folder is then uploaded to
        `repo_id` (default: its name).
        """
        if hub_kwargs and not push_to_hub:
            raise TokenizerError(
                f"Unknown save_pretrained argument(s): {', '.join(sorted(hub_kwargs))}."
            )
        folder = Path(save_directory)
        written = save_tokenizer(self, folder, legacy_format, filename_prefix)
        if push_to_hub:
            from tfx_core import hub

            hub.push_to_hub(folder, repo_id or folder.name, **hub_kwargs)
        return written

    def save_vocabulary(
        self, save_directory: str | os.PathLike, filename_prefix: str | None = None
    ) -> tuple[str, ...]:
        """Write only the legacy vocabulary files (vocab.txt, or vocab.json + merges.txt)."""
        folder = Path(save_directory)
        if not folder.is_dir():
            raise TokenizerError(f"save_vocabulary needs an existing folder, got {folder}.")
        written = []
        for name, text in vocabulary_files(self, filename_prefix).items():
            (folder / name).write_text(text, encoding="utf-8")
            written.append(str(folder / name))
        return tuple(written)

    def push_to_hub(self, repo_id: str, **hub_kwargs: Any) -> str:
        """Save to a temporary folder and upload it to the Hub repository `repo_id`."""

        from tfx_core import hub

        with tempfile.TemporaryDirectory() as tmp:
            save_tokenizer(self, Path(tmp))
            return hub.push_to_hub(tmp, repo_id, **hub_kwargs)
