"""WordPiece tokenizer from a BERT-style `vocab.txt`, for checkpoints without `tokenizer.json`.

The core registers it (`wordpiece`) through the `tfx_tokenizer_converters` hook; BERT,
DistilBERT, ELECTRA and other WordPiece families point to it. The pipeline is the one BERT was trained
with: BERT normalization (clean text, optional lower-casing and accent stripping, spaces around
CJK characters), whitespace-and-punctuation pre-tokenization, WordPiece with `##` continuations,
and `[CLS] A [SEP] B [SEP]` with token type 1 for the second text.

The converter also fills in the defaults BERT's legacy files imply (lower-casing on, the
`[UNK]`/`[CLS]`/... special tokens) in the `tokenizer_config` it is given, so the core knows the
special-token roles and writes them out on save.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from tfx_core.errors import TokenizerError

VOCAB_FILE = "vocab.txt"

_DEFAULTS: dict[str, Any] = {
    "do_lower_case": True,
    "tokenize_chinese_chars": True,
    "strip_accents": None,
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
    "clean_up_tokenization_spaces": True,
}


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def read_vocab(path: Path) -> dict[str, int]:
    """One token per line; the line number is the id (a repeated token keeps its last line)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        raise TokenizerError(f"The WordPiece vocabulary {path} does not exist.") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise TokenizerError(f"Cannot read the WordPiece vocabulary {path}: {exc}.") from exc
    vocab = {line.rstrip("\n"): index for index, line in enumerate(lines)}
    if not vocab:
        raise TokenizerError(f"The WordPiece vocabulary {path} is empty.")
    return vocab


def convert_wordpiece(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """A `tokenizers.Tokenizer` equivalent to BERT's tokenizer, built from `folder/vocab.txt`."""
    for key, value in _DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    vocab = read_vocab(Path(folder) / VOCAB_FILE)
    unk, cls, sep = (_content(tokenizer_config[k]) for k in ("unk_token", "cls_token", "sep_token"))
    for role, token in (("unk_token", unk), ("cls_token", cls), ("sep_token", sep)):
        if token not in vocab:
            raise TokenizerError(
                f"{Path(folder) / VOCAB_FILE} has no {token!r} ({role}); BERT-style tokenizers "
                f"need it. Add it to the vocabulary or set {role} in tokenizer_config.json."
            )
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=unk, continuing_subword_prefix="##"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=bool(tokenizer_config["tokenize_chinese_chars"]),
        strip_accents=tokenizer_config["strip_accents"],
        lowercase=bool(tokenizer_config["do_lower_case"]),
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer
