"""A fixed, varied text corpus for tokenizer parity tests (no files, no network).

Hand-picked edge cases plus strings generated with a fixed seed from pools of scripts and
symbols that stress normalizers and pre-tokenizers: accents (precomposed and combining), CJK,
emoji (ZWJ sequences, flags, skin tones), right-to-left scripts, whitespace runs of every kind,
control characters, numbers and punctuation, code, URLs, special-token look-alikes, empty
strings and very long texts.
"""

from __future__ import annotations

import random

HAND_PICKED = [
    "",
    " ",
    "   ",
    "\t\n\r ",
    "Hello world!",
    "Hello, world. It's a test; isn't it? Yes: it is!",
    "don't won't can't I'm you're we've they'll",
    "HELLO World hElLo",
    "naïve café résumé façade coöperate Ångström",
    "e\u0301 a\u0300 o\u0308 n\u0303 (combining accents)",
    "Straße Œuvre æther Ǆ ǅ ǆ ﬁ ﬂ",
    "東京は日本の首都です。",
    "北京欢迎你！我爱自然语言处理。",
    "한국어 텍스트도 있습니다",
    "カタカナとひらがなと漢字",
    "😀 😃 😄 😁 😆 🤖 🧠",
    "👨‍👩‍👧‍👦 family 👩🏽‍💻 coder 🇫🇷🇯🇵 flags",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "Привет, мир! Ёлка",
    "Γειά σου Κόσμε",
    "ThisIsAVeryLongWordWithoutAnySpacesAtAllThatKeepsGoingAndGoingAndGoingForeverAndEverAndEverMoreAndMore",
    "a" * 150,
    "multiple     spaces   between    words",
    "tabs\tbetween\twords\tand\nnewlines\nand\r\ncarriage returns",
    "non\u00a0breaking\u00a0spaces and\u3000ideographic\u3000spaces",
    "zero\u200bwidth\u200cjoiners\u200dand\ufeffBOM",
    "control\x00chars\x01and\x7fdelete\x1b[0m",
    "3.14159 2,718 1e-10 -42 +7 100% $5.00 €20 ¥300",
    "email: someone@example.com url: https://example.org/path?q=1&x=2#frag",
    "def f(x): return x**2 + 1  # comment",
    '<html><body class="main">Hi &amp; bye</body></html>',
    "[CLS] [SEP] [MASK] [PAD] [UNK] look like special tokens",
    "<s> </s> <pad> <mask> <unk> <|endoftext|> too",
    "Mr. Smith's 2nd-place finish (at 9:30 a.m.) was... unexpected?!",
    "“Smart quotes” and ‘single ones’ — em dash – en dash … ellipsis",
    "'quoted' \"double\" `backtick` «guillemets»",
    "ALL CAPS SENTENCE WITH NUMBERS 123 AND SYMBOLS @#$%^&*()",
    "x",
    ".",
    "!!!???...,,,",
    "a.b.c.d.e",
    "low lower lowest newer wider",
    "  leading and trailing spaces  ",
    "\u2028line separator\u2029paragraph separator",
    "Ω≈ç√∫˜µ≤≥÷ ∑∏π∆ ∞ ≠ ∂",
    "ﾊﾝｶｸ ｶﾀｶﾅ full-width ＡＢＣ １２３",
    "mixed中文and English混合text",
]

_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "tokenizer",
    "model",
    "transformer",
    "attention",
    "layer",
    "embedding",
    "vector",
    "sentence",
    "batch",
    "padding",
    "truncation",
    "stride",
    "overflow",
    "offset",
    "mapping",
    "unbelievable",
    "internationalization",
    "antidisestablishmentarianism",
    "running",
    "runner",
    "ran",
    "playing",
    "played",
    "plays",
    "happily",
    "happiness",
    "unhappy",
    "redo",
    "undo",
    "preprocessing",
    "GPU",
    "CPU",
    "Python",
    "Rust",
    "JSON",
    "API",
    "HTTP",
    "well-known",
    "state-of-the-art",
    "co-operate",
    "e-mail",
]
_ACCENTED = [
    "café",
    "naïve",
    "élève",
    "über",
    "Ärger",
    "Öl",
    "Ünd",
    "señor",
    "mañana",
    "ação",
    "coração",
    "żółć",
    "Dvořák",
    "İstanbul",
    "ğ",
]
_CJK = list("日本語中文字漢字東京北京上海大阪人工智能自然語言處理的是了我不在有")
_HANGUL = list("한국어안녕하세요세계")
_KANA = list("ひらがなカタカナ")
_EMOJI = ["😀", "🎉", "👍🏿", "❤️", "🇺🇸", "👩‍🔬", "🤷‍♂️", "🔥", "✨", "🙏", "🐍", "🦀"]
_RTL = ["مرحبا", "عالم", "كتاب", "שלום", "עולם", "ספר"]
_OTHER = ["नमस्ते", "दुनिया", "Привет", "мир", "Γειά", "σου", "ภาษาไทย", "ქართული", "Հայերեն"]
_SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", " \t ", "\r\n", "   \n  "]
_PUNCT = list(".,;:!?'\"()[]{}-–—…/\\@#$%^&*_+=<>|~`")
_SPECIAL = ["[CLS]", "[SEP]", "[MASK]", "<s>", "</s>", "<|endoftext|>", "<mask>"]


def _piece(rng: random.Random) -> str:
    pool = rng.choices(
        [
            "word",
            "accent",
            "cjk",
            "hangul",
            "kana",
            "emoji",
            "rtl",
            "other",
            "punct",
            "number",
            "special",
            "upper",
        ],
        weights=[40, 8, 6, 2, 2, 5, 3, 3, 8, 5, 1, 4],
    )[0]
    if pool == "word":
        return rng.choice(_WORDS)
    if pool == "accent":
        return rng.choice(_ACCENTED)
    if pool == "cjk":
        return "".join(rng.choices(_CJK, k=rng.randint(1, 6)))
    if pool == "hangul":
        return "".join(rng.choices(_HANGUL, k=rng.randint(1, 4)))
    if pool == "kana":
        return "".join(rng.choices(_KANA, k=rng.randint(1, 4)))
    if pool == "emoji":
        return "".join(rng.choices(_EMOJI, k=rng.randint(1, 3)))
    if pool == "rtl":
        return rng.choice(_RTL)
    if pool == "other":
        return rng.choice(_OTHER)
    if pool == "punct":
        return "".join(rng.choices(_PUNCT, k=rng.randint(1, 3)))
    if pool == "number":
        return str(
            rng.choice([rng.randint(0, 10 ** rng.randint(1, 9)), round(rng.random() * 1000, 3)])
        )
    if pool == "special":
        return rng.choice(_SPECIAL)
    return rng.choice(_WORDS).upper()


def _sentence(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(_piece(rng))
        parts.append(rng.choice(_SPACES) if rng.random() < 0.12 else " ")
    text = "".join(parts)
    if rng.random() < 0.2:
        text = rng.choice(_SPACES) + text
    if rng.random() < 0.5:
        text = text.rstrip() + rng.choice(".!?")
    return text


def build_corpus(size: int = 520, seed: int = 0, long_texts: int = 5) -> list[str]:
    """`size` strings: the hand-picked cases, generated ones, and a few very long texts."""
    rng = random.Random(seed)
    corpus = list(HAND_PICKED)
    for _ in range(long_texts):
        corpus.append(_sentence(rng, rng.randint(900, 1800)))
    while len(corpus) < size:
        kind = rng.random()
        if kind < 0.04:
            corpus.append("")
        elif kind < 0.08:
            corpus.append("".join(rng.choices(_SPACES, k=rng.randint(1, 5))))
        else:
            corpus.append(_sentence(rng, rng.randint(1, 60)))
    return corpus


def pairs(corpus: list[str], shift: int = 7) -> tuple[list[str], list[str]]:
    """Each text paired with another one of the corpus (a fixed rotation)."""
    return corpus, corpus[shift:] + corpus[:shift]
