"""DeBERTa's tokenizer (GPT-2 byte-level BPE `vocab.json` + `merges.txt` through the core's
`convert_deberta_bpe`) against `transformers.DebertaTokenizerFast` built from the same files.

A tiny byte-level BPE is trained here (the `tokenizers` trainer) with the real files' layout:
`[PAD]` `[CLS]` `[SEP]` `[UNK]` first, `[MASK]` last. On a mixed corpus (accents, CJK, emoji,
long words, whitespace runs), singles and pairs, truncated and padded: ids, token types,
masks, offsets and special-token masks must be identical, the special and added tokens too,
and each library must load what the other saved.
"""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer as HFTokenizer  # noqa: E402
from tokenizers import decoders, models, pre_tokenizers, trainers  # noqa: E402

from tfx_core.tokenization import Tokenizer  # noqa: E402

HAND_PICKED = [
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
    "[CLS] looks special [SEP] and a [MASK] too",
    "UPPER lower MiXeD",
]


def _corpus() -> list[str]:
    rng = random.Random(0)
    pool = "".join(HAND_PICKED) + "abcdefghijklmnopqrstuvwxyz     "
    mixed = ["".join(rng.choice(pool) for _ in range(rng.randint(5, 60))) for _ in range(40)]
    return HAND_PICKED + mixed


CORPUS = _corpus()
FIRST, SECOND = CORPUS[::2], CORPUS[1::2]


def write_deberta_bpe(folder: Path, texts: list[str], vocab_size: int = 400) -> int:
    """`vocab.json` + `merges.txt` trained on `texts`, laid out like DeBERTa's; returns the size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = HFTokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["[PAD]", "[CLS]", "[SEP]", "[UNK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    data = json.loads(bpe.to_str())["model"]
    vocab = data["vocab"]
    vocab["[MASK]"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["merges"]]
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
    return len(vocab)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deberta-bpe")
    write_deberta_bpe(folder, CORPUS * 2)
    (folder / "config.json").write_text(json.dumps({"model_type": "deberta"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.DebertaTokenizerFast.from_pretrained(str(folder))
    return Tokenizer.from_pretrained(folder), reference


def _same(ours, ref, label: str) -> None:
    assert list(ours.keys()) == list(ref.keys()), label
    for key in ref:
        assert ours[key] == ref[key], f"{label}: {key} differs"


def test_encodings_match_the_reference(pair):
    ours, ref = pair
    calls = [
        (
            "singles",
            (CORPUS,),
            {"return_offsets_mapping": True, "return_special_tokens_mask": True},
        ),
        ("pairs", (FIRST, SECOND), {"return_offsets_mapping": True}),
        ("truncated", (FIRST, SECOND), {"truncation": "longest_first", "max_length": 24}),
        ("padded", (FIRST, SECOND), {"padding": True, "pad_to_multiple_of": 8}),
    ]
    for label, args, kwargs in calls:
        _same(ours(*args, **kwargs), ref(*args, **kwargs), label)
    for text in CORPUS[:12]:
        ids = ref(text)["input_ids"]
        assert ours.decode(ids) == ref.decode(ids)
        assert ours.decode(ids, skip_special_tokens=True) == ref.decode(
            ids, skip_special_tokens=True
        )


def _added(tokenizer) -> dict:
    return {
        index: (t.content, t.lstrip, t.rstrip, t.normalized, t.special)
        for index, t in tokenizer.added_tokens_decoder.items()
    }


def test_special_tokens_match_the_reference(pair):
    ours, ref = pair
    assert ours.special_tokens_map == ref.special_tokens_map
    assert _added(ours) == _added(ref)
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours("a [MASK] b")["input_ids"] == ref("a [MASK] b")["input_ids"]


def test_saved_files_load_both_ways(pair, tmp_path):
    ours, ref = pair
    ours.save_pretrained(tmp_path / "tfx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    ref.save_pretrained(tmp_path / "hf")
    back = Tokenizer.from_pretrained(tmp_path / "hf")
    kwargs = {"return_offsets_mapping": True}
    _same(theirs(FIRST, SECOND, **kwargs), ref(FIRST, SECOND, **kwargs), "tfx files in reference")
    _same(back(FIRST, SECOND, **kwargs), ref(FIRST, SECOND, **kwargs), "reference files in tfx")
