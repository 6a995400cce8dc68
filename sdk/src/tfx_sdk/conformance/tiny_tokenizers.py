"""Tiny tokenizer files for conformance tests: a WordPiece and a byte-level BPE vocabulary.

Each writer fills a folder with files a real checkpoint would have, either the canonical
`tokenizer.json` or the legacy ones a plugin converts (`vocab.txt`; `vocab.json` +
`merges.txt`), plus `tokenizer_config.json`. Vocabularies stay under 300 entries, so a tiny
model config (`vocab_size` >= the returned size) can use them.
"""

from __future__ import annotations

import itertools
import json
import string
from pathlib import Path

WORDS = [
    "hello",
    "world",
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "paris",
    "is",
    "capital",
    "of",
    "france",
    "i",
    "love",
    "this",
    "movie",
    "it",
    "was",
    "great",
    "bad",
    "who",
    "what",
    "where",
    "when",
]

WORDPIECE_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def wordpiece_vocab() -> list[str]:
    letters = list(string.ascii_lowercase + string.digits)
    pieces = [*WORDPIECE_SPECIALS, *string.punctuation, *letters, *(f"##{c}" for c in letters)]
    return pieces + [w for w in WORDS if w not in pieces]


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_wordpiece(
    folder: str | Path,
    *,
    legacy: bool = False,
    tokenizer_class: str = "BertTokenizer",
    model_max_length: int = 32,
) -> int:
    """BERT-style lower-cased WordPiece files in `folder`; returns the vocabulary size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = wordpiece_vocab()
    config = {
        "tokenizer_class": tokenizer_class,
        "do_lower_case": True,
        "model_max_length": model_max_length,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    if legacy:
        (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    else:
        from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
        from tokenizers.models import WordPiece

        ids = {token: i for i, token in enumerate(vocab)}
        tokenizer = Tokenizer(WordPiece(ids, unk_token="[UNK]", continuing_subword_prefix="##"))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0",
            pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
        )
        tokenizer.decoder = decoders.WordPiece(prefix="##")
        tokenizer.add_special_tokens(list(WORDPIECE_SPECIALS))
        tokenizer.save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", config)
    return len(vocab)


# A handful of merges over the byte-level alphabet ("Ġ" is the byte-level space).
_MERGES = (
    ("Ġ", "t"),
    ("h", "e"),
    ("Ġt", "he"),
    ("l", "l"),
    ("o", "r"),
    ("i", "n"),
    ("Ġ", "w"),
    ("Ġw", "or"),
    ("Ġwor", "l"),
    ("Ġworl", "d"),
    ("he", "ll"),
    ("hell", "o"),
    ("Ġ", "a"),
    ("i", "s"),
    ("Ġ", "is"),
    ("e", "r"),
    ("Ġ", "o"),
    ("Ġo", "f"),
    ("Ġ", "i"),
    ("o", "v"),
)


def write_byte_level_bpe(
    folder: str | Path,
    *,
    style: str = "gpt2",
    legacy: bool = False,
    tokenizer_class: str | None = None,
    model_max_length: int = 32,
) -> int:
    """Byte-level BPE files in `folder` (`style` "gpt2" or "roberta"); returns the vocab size.

    gpt2: one special token `<|endoftext|>` (last id), no template. roberta: `<s>` `<pad>`
    `</s>` `<unk>` first, `<mask>` last, and `<s> A </s></s> B </s>` around texts.
    """
    from tokenizers import pre_tokenizers

    if style not in ("gpt2", "roberta"):
        raise ValueError(f"style must be 'gpt2' or 'roberta', got {style!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    head = ["<s>", "<pad>", "</s>", "<unk>"] if style == "roberta" else []
    tail = ["<mask>"] if style == "roberta" else ["<|endoftext|>"]
    tokens = list(head)
    tokens += [c for c in sorted(pre_tokenizers.ByteLevel.alphabet()) if c not in tokens]
    tokens += ["".join(pair) for pair in _MERGES]
    tokens += tail
    vocab = {token: i for i, token in enumerate(tokens)}
    if style == "roberta":
        specials = {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
        }
    else:
        specials = {"bos_token": tail[0], "eos_token": tail[0], "unk_token": tail[0]}
    config = {
        "tokenizer_class": tokenizer_class
        or ("RobertaTokenizer" if style == "roberta" else "GPT2Tokenizer"),
        "model_max_length": model_max_length,
        "add_prefix_space": False,
        **specials,
    }
    if legacy:
        _write_json(folder / "vocab.json", vocab)
        merges = "\n".join(f"{a} {b}" for a, b in _MERGES)
        (folder / "merges.txt").write_text(f"#version: 0.2\n{merges}\n", encoding="utf-8")
    else:
        _byte_level_tokenizer(vocab, style).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", config)
    return len(vocab)


def _byte_level_tokenizer(vocab: dict[str, int], style: str):  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import BPE

    unk = "<unk>" if style == "roberta" else None
    tokenizer = Tokenizer(BPE(vocab, list(_MERGES), unk_token=unk))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    if style == "roberta":
        tokenizer.post_processor = processors.RobertaProcessing(
            sep=("</s>", vocab["</s>"]), cls=("<s>", vocab["<s>"]), add_prefix_space=False
        )
        tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
        tokenizer.add_special_tokens(["<|endoftext|>"])
    return tokenizer


def write_fastbpe(
    folder: str | Path,
    texts: list[str] | tuple[str, ...],
    *,
    merges: int = 200,
    tokenizer_class: str = "PhobertTokenizer",
    drop_every: int = 7,
) -> int:
    """fastBPE files (`vocab.txt` + `bpe.codes`, BERTweet / PhoBERT) learned on `texts`; every
    `drop_every`-th piece is left out of the vocabulary so unknown pieces occur. Returns the
    vocabulary size (with the four leading special tokens and `<mask>`)."""
    from collections import Counter

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    words: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for word in text.split():
            words[(*word[:-1], word[-1] + "</w>")] += 1
    codes = []
    for _ in range(merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for symbols, count in words.items():
            for pair in itertools.pairwise(symbols):
                pairs[pair] += count
        if not pairs:
            break
        (a, b), count = max(pairs.items(), key=lambda item: (item[1], item[0]))
        codes.append(f"{a} {b} {count}")
        merged: Counter[tuple[str, ...]] = Counter()
        for symbols, n in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == (a, b):
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    pieces: Counter[str] = Counter()
    for symbols, count in words.items():
        for symbol in symbols:
            pieces[symbol[:-4] if symbol.endswith("</w>") else symbol + "@@"] += count
    kept = [p for i, (p, _) in enumerate(pieces.most_common()) if drop_every < 1 or i % drop_every]
    lines = [f"{piece} {pieces[piece]}" for piece in kept]
    (folder / "vocab.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "bpe.codes").write_text("\n".join(codes) + "\n", encoding="utf-8")
    _write_json(folder / "tokenizer_config.json", {"tokenizer_class": tokenizer_class})
    return len(kept) + 5
