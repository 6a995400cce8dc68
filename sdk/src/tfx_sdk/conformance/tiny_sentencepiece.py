"""Tiny SentencePiece models and a mixed text corpus for tokenizer parity tests.

`train_sentencepiece(**options)` trains a small `.model` (unigram or BPE) in memory with the
`sentencepiece` trainer on `CORPUS`, so a plugin test can lay it out as its family's checkpoints
do (`spiece.model`, `sentencepiece.bpe.model`, Marian's `source.spm`, ...) and compare tfx with
the reference tokenizer built from the same file. `CORPUS` mixes scripts, accents, emoji,
numbers, punctuation, whitespace runs and special-token look-alikes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

CORPUS: list[str] = [
    "Hello world!",
    "Hello, world. It's a test; isn't it? Yes: it is!",
    "don't won't can't I'm you're we've they'll",
    "HELLO World hElLo",
    "naïve café résumé façade coöperate Ångström",
    "Straße Œuvre æther ﬁ ﬂ",
    "東京は日本の首都です。",
    "北京欢迎你！我爱自然语言处理。",
    "😀 😃 🤖 🧠 👩🏽‍💻 coder 🇫🇷 flags",
    "مرحبا بالعالم",
    "Привет, мир! Ёлка",
    "Γειά σου Κόσμε",
    "ThisIsAVeryLongWordWithoutAnySpacesAtAllThatKeepsGoing",
    "multiple     spaces   between    words",
    "tabs\tbetween\twords and\nnewlines",
    "non\u00a0breaking\u00a0spaces",
    "3.14159 2,718 1e-10 -42 +7 100% $5.00 €20 ¥300",
    "email: someone@example.com url: https://example.org/path?q=1&x=2#frag",
    "def f(x): return x**2 + 1  # comment",
    "<s> </s> <pad> <mask> <unk> look like special tokens",
    "Mr. Smith's 2nd-place finish (at 9:30 a.m.) was... unexpected?!",
    "“Smart quotes” and ‘single ones’ — em dash – en dash … ellipsis",
    "a.b.c.d.e",
    "low lower lowest newer wider",
    "  leading and trailing spaces  ",
    "The quick brown fox jumps over the lazy dog.",
    "UN Chief Says There Is No Military Solution in Syria",
    "Şeful ONU declară că nu există o soluţie militară în Siria",
    "Die Katze sitzt auf der Matte und schläft.",
    "Le chat est assis sur le tapis, il dort.",
    "x",
    "!!!???...,,,",
]

#: Texts the models are trained on (the corpus, repeated with variations for enough pieces).
TRAINING: list[str] = [
    *CORPUS,
    *(f"{text} {text.lower()} {text.upper()}" for text in CORPUS),
    "the of and to in is was for on that with as by at from it this be are or an which",
]


def train_sentencepiece(
    vocab_size: int = 300, *, sentences: Sequence[str] | None = None, **options: Any
) -> bytes:
    """A SentencePiece `.model` trained on `sentences` (default `TRAINING`; `model_type="bpe"`
    or `"unigram"`, ids as in `options`: `pad_id=`, `unk_id=`, `control_symbols=`, ...), as
    bytes."""
    import sentencepiece

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING if sentences is None else sentences),
        model_writer=buffer,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        minloglevel=2,
        **options,
    )
    return buffer.getvalue()
