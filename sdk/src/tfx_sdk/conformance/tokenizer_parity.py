"""A plugin tokenizer against the reference's, field by field: the checks every tokenizer
test repeats, written once.

Two corpora: `MIXED_TEXTS` (a short fixed list) and `mixed_corpus(specials)` (hand-picked
lines, a line writing out the model's special tokens, and seeded random mixtures of them).

- `assert_same_encodings(ours, theirs)`: singles, consecutive pairs and a padded, truncated
  batch give identical ids, token types, masks, offsets, special-token masks and decodes;
- `assert_same_batches(ours, ref, corpus)`: batched singles, pairs, truncated and padded pairs
  give identical fields, in the same order; decodes are identical;
- `assert_same_special_tokens(ours, ref, probe)`: special-token map, added tokens, sizes, and
  the ids of a text that writes out the mask token;
- `assert_files_load_both_ways(ours, ref, folder, corpus)`: what tfx saves loads in the
  reference, what the reference saves loads in tfx, and both encode as the reference does;
- `load_pair(folder, reference)` loads a folder with tfx and with a reference tokenizer class,
  and `TokenizerParitySuite` runs the last three checks on a test module's `pair` fixture.
"""

from __future__ import annotations

import itertools
import random
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

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


HAND_PICKED: tuple[str, ...] = (
    "Hello world! It's a test; isn't it?",
    "naïve café résumé façade coöperate Ångström",
    "e\u0301 a\u0300 o\u0308 (combining accents) Straße Œuvre ﬁ",
    "東京は日本の首都です。北京欢迎你！한국어 텍스트",
    "😀 🤖 👨\u200d👩\u200d👧 family 👩🏽\u200d💻 coder 🇫🇷 flags",
    "Привет, мир! Γειά σου Κόσμε مرحبا",
    "ThisIsAVeryLongWordWithoutAnySpacesAtAllThatKeepsGoingAndGoingForever",
    "multiple     spaces\tand\ttabs\nand newlines  ",
    "  leading and trailing spaces  ",
    "numbers 1,234.56 and 3.14159, emails a@b.co, urls https://x.org/a?b=1",
)


def mixed_corpus(specials: str, *, mixtures: int = 40, seed: int = 0) -> list[str]:
    """The hand-picked lines, `specials` (a line writing out special tokens), a mixed-case
    line, then `mixtures` seeded random strings over their characters."""
    picked = [*HAND_PICKED, specials, "UPPER lower MiXeD"]
    rng = random.Random(seed)
    pool = "".join(picked) + "abcdefghijklmnopqrstuvwxyz     "
    mixed = ["".join(rng.choice(pool) for _ in range(rng.randint(5, 60))) for _ in range(mixtures)]
    return picked + mixed


def assert_same_fields(ours: Any, ref: Any, label: str) -> None:
    """Two encodings with the same keys, in the same order, and equal values."""
    assert list(ours.keys()) == list(ref.keys()), label
    for key in ref:
        assert ours[key] == ref[key], f"{label}: {key} differs"


def assert_same_batches(ours: Any, ref: Any, corpus: list[str]) -> None:
    """Singles, pairs, truncated and padded pairs, and decodes equal to the reference's."""
    first, second = corpus[::2], corpus[1::2]
    calls = [
        (
            "singles",
            (corpus,),
            {"return_offsets_mapping": True, "return_special_tokens_mask": True},
        ),
        ("pairs", (first, second), {"return_offsets_mapping": True}),
        ("truncated", (first, second), {"truncation": "longest_first", "max_length": 24}),
        ("padded", (first, second), {"padding": True, "pad_to_multiple_of": 8}),
    ]
    for label, args, kwargs in calls:
        assert_same_fields(ours(*args, **kwargs), ref(*args, **kwargs), label)
    for text in corpus[:12]:
        ids = ref(text)["input_ids"]
        assert ours.decode(ids) == ref.decode(ids), f"decode {text!r}"
        assert ours.decode(ids, skip_special_tokens=True) == ref.decode(
            ids, skip_special_tokens=True
        ), f"decode without specials {text!r}"


def added_tokens(tokenizer: Any) -> dict[int, tuple]:
    """`added_tokens_decoder` as comparable tuples."""
    return {
        index: (t.content, t.lstrip, t.rstrip, t.normalized, t.special)
        for index, t in tokenizer.added_tokens_decoder.items()
    }


def assert_same_special_tokens(ours: Any, ref: Any, probe: str) -> None:
    """Special-token map, added tokens, sizes, mask id, and the ids of `probe` (a text that
    writes out special tokens) equal to the reference's."""
    assert ours.special_tokens_map == ref.special_tokens_map
    assert added_tokens(ours) == added_tokens(ref)
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.mask_token_id == ref.mask_token_id
    assert ours(probe)["input_ids"] == ref(probe)["input_ids"]


def assert_files_load_both_ways(ours: Any, ref: Any, folder: Path, corpus: list[str]) -> None:
    """tfx's saved files load in the reference and the reference's in tfx; both encode as
    the reference does."""
    import transformers

    from tfx_core.tokenization import Tokenizer

    folder = Path(folder)
    ours.save_pretrained(folder / "tfx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.AutoTokenizer.from_pretrained(str(folder / "tfx"))
    ref.save_pretrained(folder / "hf")
    back = Tokenizer.from_pretrained(folder / "hf")
    first, second = corpus[::2], corpus[1::2]
    kwargs = {"return_offsets_mapping": True}
    expected = ref(first, second, **kwargs)
    assert_same_fields(theirs(first, second, **kwargs), expected, "tfx files in the reference")
    assert_same_fields(back(first, second, **kwargs), expected, "reference files in tfx")


def load_pair(
    folder: Path, reference: str, model_type: str, tokenizer_config: dict | None = None
) -> tuple[Any, Any]:
    """Write `config.json` (and `tokenizer_config.json`) into `folder`, then load it with tfx
    and with `transformers.<reference>`: `(ours, reference)`."""
    import json

    import transformers

    from tfx_core.tokenization import Tokenizer

    folder = Path(folder)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    if tokenizer_config is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(transformers, reference).from_pretrained(str(folder))
    return Tokenizer.from_pretrained(folder), theirs


class TokenizerParitySuite:
    """Tokenizer parity tests for a test module that defines a `pair` fixture giving
    `(ours, reference)`: subclass it and set `corpus` and `probe` (a text with the mask token)."""

    corpus: ClassVar[list[str]]
    probe: ClassVar[str]

    def test_encodings_match_the_reference(self, pair: tuple[Any, Any]) -> None:
        assert_same_batches(*pair, self.corpus)

    def test_special_tokens_match_the_reference(self, pair: tuple[Any, Any]) -> None:
        assert_same_special_tokens(*pair, probe=self.probe)

    def test_saved_files_load_both_ways(self, pair: tuple[Any, Any], tmp_path: Path) -> None:
        assert_files_load_both_ways(*pair, tmp_path, self.corpus)
