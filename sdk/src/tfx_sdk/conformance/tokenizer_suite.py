"""A plugin tokenizer against the reference's, on a mixed corpus: the checks every tokenizer
test repeats, written once.

A plugin's test builds a tiny vocabulary file (a SentencePiece model, a WordPiece or BPE
vocabulary), loads it with tfx and with the reference, and calls:

- `assert_same_batches(ours, ref, corpus)`: singles (with offsets and special-token masks),
  pairs, truncated pairs and padded pairs give identical fields; decodes are identical;
- `assert_same_special_tokens(ours, ref, probe)`: special-token map, added tokens, sizes, and
  the ids of a text that writes out the mask token;
- `assert_files_load_both_ways(ours, ref, folder, corpus)`: what tfx saves loads in the
  reference, what the reference saves loads in tfx, and both encode as the reference does.

`mixed_corpus(specials)` is the corpus: accents, combining marks, CJK, emoji, scripts, long
words, whitespace runs, a line writing out the model's special tokens, and seeded random
mixtures of them.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

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
