"""Tokenizer parity with the reference on a mixed corpus, field by field.

`assert_same_encodings(ours, theirs)` encodes `MIXED_TEXTS` (accents, combining marks, CJK,
emoji, Arabic, long words, odd whitespace, special tokens written out) as singles, pairs and a
padded, truncated batch with both tokenizers, and compares ids, token types, attention masks,
offsets, special-token masks and decodes. Plugin tests call it on the reference tokenizer
loaded from the same files.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

MIXED_TEXTS: tuple[str, ...] = (
    "Hello world!",
    "Café déjà vu, naïve façade — Ærøskøbing",
    "e\u0301le\u0300ve combining accents",
    "東京は日本の首都です。北京欢迎你",
    "emoji 😀🎉 and flags 🇫🇷 mixed",
    "مرحبا بالعالم",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "  leading and trailing   spaces \t tabs\nnew lines  ",
    "UPPER lower MiXeD 12345 3.14 $100 #hashtag @user http://example.com/a?b=c",
    "punctuation!!! ??? ... (brackets) [square] {curly} \"quotes\" 'single'",
    "",
    "x" * 120,
)


def _fields(encoded: Any) -> dict[str, Any]:
    keys = ("input_ids", "token_type_ids", "attention_mask", "offset_mapping")
    out = {key: encoded[key] for key in keys if key in encoded}
    out["special_tokens_mask"] = encoded.get("special_tokens_mask")
    return {k: list(map(tuple, v)) if k == "offset_mapping" else v for k, v in out.items()}


def assert_same_encodings(
    ours: Any,
    theirs: Any,
    texts: Sequence[str] = MIXED_TEXTS,
    *,
    pairs: bool = True,
    max_length: int = 24,
) -> None:
    """Every field of every encoding equal (raises AssertionError naming the text)."""
    options = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
    for text in texts:
        a, b = ours(text, **options), theirs(text, **options)
        assert _fields(a) == _fields(b), f"single {text!r}: {a} vs {b}"
        assert ours.decode(a["input_ids"]) == theirs.decode(b["input_ids"]), f"decode {text!r}"
        assert ours.convert_ids_to_tokens(a["input_ids"]) == theirs.convert_ids_to_tokens(
            b["input_ids"]
        ), f"tokens {text!r}"
    if pairs:
        for first, second in itertools.pairwise(texts):
            a, b = ours(first, second, **options), theirs(first, second, **options)
            assert _fields(a) == _fields(b), f"pair {first!r} / {second!r}"
    batch = {"padding": True, "truncation": True, "max_length": max_length}
    a, b = ours(list(texts), **batch, **options), theirs(list(texts), **batch, **options)
    for key in ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask"):
        assert (key in a) == (key in b), f"batch field {key} present in one only"
        if key in a:
            assert list(a[key]) == list(b[key]), f"batch {key} differs"
    offsets = [list(map(tuple, row)) for row in a["offset_mapping"]]
    assert offsets == [list(map(tuple, row)) for row in b["offset_mapping"]], "batch offsets"
    for name in ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token"):
        assert getattr(ours, name, None) == getattr(theirs, name, None), name
