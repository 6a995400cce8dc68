"""The CTC character vocabulary (`vocab.json`) of speech checkpoints as a fast tokenizer.

Wav2Vec2, HuBERT and their relatives share this format; their plugins point their
`TokenizerConverterSpec` at `convert_ctc_vocab`.

Text is split into characters with spaces written as the word delimiter ("|"), each character
looked up in the vocabulary (unknown ones become the unknown token); decoding merges repeats,
drops the blank (padding) token and turns delimiters back into spaces (the `tokenizers` CTC
decoder). The special tokens and delimiter come from `tokenizer_config.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

from tfx_core.errors import TokenizerError

_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}


def _token(value: Any) -> str:
    return value.get("content") if isinstance(value, dict) else value


def convert_ctc_vocab(folder: Path, tokenizer_config: dict[str, Any]) -> Tokenizer:
    """A `tokenizers.Tokenizer` for a CTC `vocab.json` (one entry per character)."""
    try:
        vocab = json.loads((Path(folder) / "vocab.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TokenizerError(
            f"Cannot read {folder}/vocab.json as a CTC vocabulary: {exc}."
        ) from exc
    if vocab and all(isinstance(value, dict) for value in vocab.values()):
        raise TokenizerError(
            f"{folder}/vocab.json holds one vocabulary per language; pass the language's "
            "vocabulary (multi-lingual CTC vocabularies are not supported yet)."
        )
    for key, default in _SPECIALS.items():
        tokenizer_config.setdefault(key, default)
    tokenizer_config.setdefault("word_delimiter_token", "|")
    tokenizer_config.setdefault("model_input_names", ["input_ids", "attention_mask"])
    delimiter = _token(tokenizer_config["word_delimiter_token"])
    unk = _token(tokenizer_config["unk_token"])
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=unk))
    steps = [normalizers.Replace(" ", delimiter)]
    if tokenizer_config.get("do_lower_case"):
        steps.insert(0, normalizers.Lowercase())
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.decoder = decoders.CTC(
        pad_token=_token(tokenizer_config["pad_token"]),
        word_delimiter_token=delimiter,
        cleanup=False,
    )
    return tokenizer
