"""DeBERTa-v2/v3's tokenizer (`spm.model` through the core's `convert_deberta_v2`) against
`transformers.DebertaV2TokenizerFast` built from the same file.

A tiny SentencePiece unigram model is trained here with the ids of the real v3 files
(`[PAD]` 0, `[CLS]` 1, `[SEP]` 2, `[UNK]` 3; `[MASK]` added after the pieces). On a mixed
corpus (accents, CJK, emoji, long words, whitespace runs), singles and pairs, truncated and
padded: ids, token types, masks, offsets and special-token masks must be identical, the
special tokens and added tokens too, and each library must load what the other saved.
"""

from __future__ import annotations

import io
import json
import random
import warnings

import pytest

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")

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
    "[CLS] looks special [SEP] and [MASK] too",
    "UPPER lower MiXeD",
]


def _corpus() -> list[str]:
    rng = random.Random(0)
    pool = "".join(HAND_PICKED) + "abcdefghijklmnopqrstuvwxyz     "
    mixed = ["".join(rng.choice(pool) for _ in range(rng.randint(5, 60))) for _ in range(40)]
    return HAND_PICKED + mixed


CORPUS = _corpus()
FIRST, SECOND = CORPUS[::2], CORPUS[1::2]

OPTIONS = {
    "default": None,
    "lower-punct": {"do_lower_case": True, "split_by_punct": True},
}


@pytest.fixture(scope="module")
def spm_model() -> bytes:
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 3),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=300,
        hard_vocab_limit=False,
        pad_id=0,
        bos_id=1,
        eos_id=2,
        unk_id=3,
        pad_piece="[PAD]",
        bos_piece="[CLS]",
        eos_piece="[SEP]",
        unk_piece="[UNK]",
        minloglevel=2,
    )
    return buffer.getvalue()


@pytest.fixture(scope="module", params=list(OPTIONS))
def pair(request, spm_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "spm.model").write_bytes(spm_model)
    (folder / "config.json").write_text(json.dumps({"model_type": "deberta-v2"}))
    if OPTIONS[request.param] is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(OPTIONS[request.param]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.DebertaV2TokenizerFast.from_pretrained(str(folder))
    return Tokenizer.from_pretrained(folder), reference, folder


def _same(ours, ref, label: str) -> None:
    assert list(ours.keys()) == list(ref.keys()), label
    for key in ref:
        assert ours[key] == ref[key], f"{label}: {key} differs"


def test_encodings_match_the_reference(pair):
    ours, ref, _ = pair
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
    ours, ref, _ = pair
    assert ours.special_tokens_map == ref.special_tokens_map
    assert _added(ours) == _added(ref)
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.mask_token_id == ref.mask_token_id == len(ref) - 1


def test_saved_files_load_both_ways(pair, tmp_path):
    ours, ref, _ = pair
    ours.save_pretrained(tmp_path / "tfx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    ref.save_pretrained(tmp_path / "hf")
    back = Tokenizer.from_pretrained(tmp_path / "hf")
    kwargs = {"return_offsets_mapping": True}
    _same(theirs(FIRST, SECOND, **kwargs), ref(FIRST, SECOND, **kwargs), "tfx files in reference")
    _same(back(FIRST, SECOND, **kwargs), ref(FIRST, SECOND, **kwargs), "reference files in tfx")
