"""Byte-level BPE tokenizers from `vocab.json` + `merges.txt` (GPT-2 and RoBERTa families).

The core registers both (`byte-level-bpe`, `roberta-byte-level-bpe`) through the
`tfx_tokenizer_converters` hook, for checkpoints without `tokenizer.json`. Both families map
bytes to printable characters (`Ġ` for a space) and merge them with the ranked `merges.txt`
rules; they differ only in what is added around the text: GPT-2 adds nothing (or
`<|endoftext|>` first with `add_bos_token`), RoBERTa wraps it as `<s> A </s></s> B </s>`.

Each converter fills in the defaults its legacy files imply (special tokens, no
`token_type_ids`) in the `tokenizer_config` it is given, so the core knows the roles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE

from tfx_core.errors import TokenizerError

VOCAB_FILE = "vocab.json"
MERGES_FILE = "merges.txt"


def _special(content: str, *, lstrip: bool = False) -> dict[str, Any]:
    """A special token as the legacy tokenizers declare theirs (matched on normalized text,
    except RoBERTa's mask, which also swallows the space before it)."""
    return {
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": not lstrip,
        "special": True,
    }


_GPT2_DEFAULTS: dict[str, Any] = {
    "unk_token": _special("<|endoftext|>"),
    "bos_token": _special("<|endoftext|>"),
    "eos_token": _special("<|endoftext|>"),
    "add_prefix_space": False,
    "model_input_names": ["input_ids", "attention_mask"],
}

_ROBERTA_DEFAULTS: dict[str, Any] = {
    "bos_token": _special("<s>"),
    "eos_token": _special("</s>"),
    "sep_token": _special("</s>"),
    "cls_token": _special("<s>"),
    "unk_token": _special("<unk>"),
    "pad_token": _special("<pad>"),
    "mask_token": _special("<mask>", lstrip=True),
    "add_prefix_space": False,
    "trim_offsets": True,
    "model_input_names": ["input_ids", "attention_mask"],
}


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def read_vocab(path: Path) -> dict[str, int]:
    """`vocab.json`: a JSON object mapping each token to its id."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokenizerError(f"The BPE vocabulary {path} does not exist.") from None
    except json.JSONDecodeError as exc:
        raise TokenizerError(
            f"The BPE vocabulary {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
        ) from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise TokenizerError(f"Cannot read the BPE vocabulary {path}: {exc}.") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in data.items()
    ):
        raise TokenizerError(f"The BPE vocabulary {path} must be a JSON object of token -> id.")
    return data


def read_merges(path: Path) -> list[tuple[str, str]]:
    """`merges.txt`: one `left right` rule per line, by rank; a `#version` header is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise TokenizerError(f"The BPE merges file {path} does not exist.") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise TokenizerError(f"Cannot read the BPE merges file {path}: {exc}.") from exc
    merges = []
    for number, line in enumerate(lines, start=1):
        if (number == 1 and line.startswith("#version")) or not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise TokenizerError(
                f"{path}, line {number}: expected a merge rule 'left right', got {line!r}."
            )
        merges.append((parts[0], parts[1]))
    return merges


def _byte_level_bpe(folder: Path, add_prefix_space: bool) -> tuple[Tokenizer, dict[str, int]]:
    folder = Path(folder)
    vocab = read_vocab(folder / VOCAB_FILE)
    merges = read_merges(folder / MERGES_FILE)
    try:
        model = BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    except Exception as exc:  # e.g. a merge whose parts are not in the vocabulary
        raise TokenizerError(f"{folder}: vocab.json and merges.txt do not agree: {exc}") from exc
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer, vocab


def _token_id(vocab: dict[str, int], token: str, role: str, folder: Path) -> int:
    if token not in vocab:
        raise TokenizerError(
            f"{Path(folder) / VOCAB_FILE} has no {token!r} ({role}). Add it to the vocabulary or "
            f"set {role} in tokenizer_config.json."
        )
    return vocab[token]


def convert_byte_level_bpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """GPT-2's tokenizer: byte-level BPE, nothing added around the text by default."""
    for key, value in _GPT2_DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    tokenizer, vocab = _byte_level_bpe(folder, bool(tokenizer_config["add_prefix_space"]))
    if tokenizer_config.get("add_bos_token"):
        bos = _content(tokenizer_config["bos_token"])
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0",
            pair=f"{bos}:0 $A:0 $B:1",
            special_tokens=[(bos, _token_id(vocab, bos, "bos_token", folder))],
        )
    else:
        # Adds nothing; kept (with trim_offsets=False) so offsets match the reference exactly.
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def convert_roberta_bpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """RoBERTa's tokenizer: byte-level BPE with `<s> A </s>` / `<s> A </s></s> B </s>`."""
    for key, value in _ROBERTA_DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    add_prefix_space = bool(tokenizer_config["add_prefix_space"])
    tokenizer, vocab = _byte_level_bpe(folder, add_prefix_space)
    cls = _content(tokenizer_config["cls_token"])
    sep = _content(tokenizer_config["sep_token"])
    tokenizer.post_processor = processors.RobertaProcessing(
        sep=(sep, _token_id(vocab, sep, "sep_token", folder)),
        cls=(cls, _token_id(vocab, cls, "cls_token", folder)),
        add_prefix_space=add_prefix_space,
        trim_offsets=bool(tokenizer_config["trim_offsets"]),
    )
    return tokenizer
