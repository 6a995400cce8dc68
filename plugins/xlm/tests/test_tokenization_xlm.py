"""XLM's Moses + BPE tokenizer against the reference's `XLMTokenizer` on the same tiny files.

Ids, token strings, token types and decoded text are identical on a mixed corpus (English,
French, German accents, punctuation, numbers, CJK, emoji, long words, special tokens), with
and without lower-casing. The reference's Python tokenizer has no offsets; ours point every
piece at the characters it came from. The 4.57 reference drops the `lang` / `bypass_tokenizer`
keywords of a call (it warns "not recognized"), so those are checked against its `_tokenize`,
which implements them.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tfx_core import AutoTokenizer
from tfx_core.errors import TokenizerError
from tfx_sdk.conformance.tiny_moses_bpe import write_moses_bpe

transformers = pytest.importorskip("transformers")

CORPUS = [
    "Hello, world! The quick brown fox.",
    "L'école coûte 12,50 € « vraiment » ? Oui...",
    "Über Bäcker naïve café — déjà-vu, Straße",
    "It's 3.5km... don't -- 1,000.50 $ (20 %)",
    "東京 is 大きい 😀 emoji",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "  spaces\tand\nnewlines  ",
    "<special1> masked <s> x",
    "ＡＢＣ１２３ full-width。Next",
    "MR. SMITH'S İstanbul",
    "",
]
PAIRS = [("Where is Paris?", "Paris est la capitale de la France."), ("a", "b c")]


@pytest.fixture(scope="module", params=[True, False], ids=["lowercase", "cased"])
def tokenizers(request, tmp_path_factory):
    folder = write_moses_bpe(tmp_path_factory.mktemp("xlm"), style="xlm", lowercase=request.param)
    return AutoTokenizer.from_pretrained(folder), transformers.XLMTokenizer.from_pretrained(
        str(folder)
    )


def test_ids_tokens_and_text_match_the_reference(tokenizers):
    ours, theirs = tokenizers
    assert type(ours).__name__ == "XLMTokenizer"
    for text in CORPUS:
        expected = theirs(text)["input_ids"]
        assert ours(text)["input_ids"] == expected, text
        assert ours.convert_ids_to_tokens(expected) == theirs.convert_ids_to_tokens(expected)
        assert ours.decode(expected) == theirs.decode(expected), text
        assert ours.decode(expected, skip_special_tokens=True) == theirs.decode(
            expected, skip_special_tokens=True
        )
    for a, b in PAIRS:
        assert dict(ours(a, b)) == dict(theirs(a, b))
    batch = dict(ours(CORPUS[:4], padding=True, truncation=True, max_length=12))
    assert batch == dict(theirs(CORPUS[:4], padding=True, truncation=True, max_length=12))


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def test_offsets_point_at_the_original_characters(tokenizers):
    ours, _ = tokenizers
    text = "Über Bäcker naïve café, L'école 12,50 €!"
    encoding = ours(text, return_offsets_mapping=True, add_special_tokens=False)
    previous = 0
    for token, (start, end) in zip(encoding.tokens(), encoding["offset_mapping"]):
        piece = token.removesuffix("</w>")
        assert start >= previous and end > start, (token, start, end)
        if token != "<unk>":
            assert _folded(text[start:end]) == _folded(piece), (token, text[start:end])
        previous = start
    # words Moses rewrites or moves keep offsets inside the text
    text = "«away»... it’s ＡＢＣ"
    offsets = ours(text, return_offsets_mapping=True)["offset_mapping"]
    assert all(0 <= s <= e <= len(text) for s, e in offsets)


def test_language_and_bypass_keywords_follow_the_reference_tokenize(tokenizers):
    ours, theirs = tokenizers
    text = "L'homme qu'il aime, „Straße“ — 1.000,50 €"

    def reference_ids(**options):  # what `tokenize` would do if it passed the keywords on
        lowered = text.lower() if theirs.do_lower_case else text
        return theirs.convert_tokens_to_ids(theirs._tokenize(lowered, **options))

    for options in ({"lang": "fr"}, {"lang": "de"}, {"lang": "ro"}, {"bypass_tokenizer": True}):
        got = ours(text, add_special_tokens=False, **options)["input_ids"]
        assert got == reference_ids(**options), options
    assert ours(text, add_special_tokens=False)["input_ids"] == reference_ids()  # defaults back


def test_segmenter_languages_need_their_packages(tokenizers, monkeypatch):
    ours, _ = tokenizers
    import importlib

    real = importlib.import_module

    def missing(name, *args):
        if name.split(".")[0] in ("rjieba", "Mykytea", "pythainlp"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    for lang, package in (("zh", "rjieba"), ("ja", "kytea"), ("th", "pythainlp")):
        with pytest.raises(TokenizerError, match=f"pip install {package}"):
            ours("東京", lang=lang)


def test_chinese_with_rjieba_matches_the_reference_tokenize(tokenizers):
    pytest.importorskip("rjieba")
    ours, theirs = tokenizers
    text = "我爱北京天安门, ok."
    expected = theirs.convert_tokens_to_ids(theirs._tokenize(text.lower(), lang="zh"))
    assert ours(text, lang="zh", add_special_tokens=False)["input_ids"] == expected


def test_saved_files_load_in_both_libraries(tokenizers, tmp_path):
    ours, theirs = tokenizers
    ours.save_pretrained(tmp_path / "tfx")
    theirs.save_pretrained(tmp_path / "reference")
    back = transformers.XLMTokenizer.from_pretrained(str(tmp_path / "tfx"))
    again = AutoTokenizer.from_pretrained(tmp_path / "reference")
    for text in CORPUS:
        expected = theirs(text)["input_ids"]
        assert back(text)["input_ids"] == expected
        assert again(text)["input_ids"] == expected
    assert back.do_lowercase_and_remove_accent == theirs.do_lowercase_and_remove_accent


def test_copies_and_pickles_encode_the_same(tokenizers):
    import copy
    import pickle

    ours, _ = tokenizers
    text = "Hello « déjà » <special1> world"
    expected = dict(ours(text, return_offsets_mapping=True))
    for clone in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        assert dict(clone(text, return_offsets_mapping=True)) == expected
        assert clone.decode(expected["input_ids"]) == ours.decode(expected["input_ids"])


def test_constructor_from_files_as_the_reference(tokenizers, tmp_path):
    from tfx_plugin_xlm.tokenization_xlm import XLMTokenizer

    ours, theirs = tokenizers
    folder = ours.name_or_path
    built = XLMTokenizer(
        f"{folder}/vocab.json",
        f"{folder}/merges.txt",
        do_lowercase_and_remove_accent=theirs.do_lowercase_and_remove_accent,
    )
    named = XLMTokenizer(
        vocab_file=f"{folder}/vocab.json",
        merges_file=f"{folder}/merges.txt",
        do_lowercase_and_remove_accent=theirs.do_lowercase_and_remove_accent,
    )
    for text in CORPUS[:4]:
        assert built(text)["input_ids"] == theirs(text)["input_ids"]
    assert (
        named("Hello world")["input_ids"]
        == XLMTokenizer.from_pretrained(folder)("Hello world")["input_ids"]
    )
    built.save_pretrained(tmp_path)
    assert (tmp_path / "merges.txt").read_bytes() == (Path(folder) / "merges.txt").read_bytes()
