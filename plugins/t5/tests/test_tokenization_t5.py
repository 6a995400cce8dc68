"""T5 / mT5 SentencePiece and ByT5 byte tokenizers against the reference's, through AutoTokenizer.

A tiny unigram model is trained here with the `sentencepiece` trainer in T5's id layout
(`<pad>` 0, `</s>` 1, `<unk>` 2, no BOS); the checkpoint folder holds only `spiece.model` and a
config.json, as on the Hub. ByT5's folder is what the reference's `ByT5Tokenizer` saves.
"""

from __future__ import annotations

import io
import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")
pytest.importorskip("google.protobuf")

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402

CORPUS = [
    "Translate English to German: The house is wonderful.",
    "summarize: studies have shown that owning a dog is good for you",
    "The <extra_id_0> walks in <extra_id_1> park",
    "Ünïcödé àccents, naïve café — déjà vu",
    "日本語のテキストと中文字符",
    "emoji 😀🎉 and symbols ©®™ ½",
    "   leading and trailing spaces   ",
    "tabs\tand\nnewlines",
    "numbers 1234567890 3.14159 1,000,000",
    "a" * 60,
    "",
    "</s> inside <pad> text <unk>",
]
PAIRS = (CORPUS[:6], CORPUS[6:])


@pytest.fixture(scope="module")
def spiece_model() -> bytes:
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([text for text in CORPUS * 4 if text.strip()]),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=120,
        hard_vocab_limit=False,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        minloglevel=2,
    )
    return buffer.getvalue()


def _reference(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(transformers, name).from_pretrained(*args, **kwargs)


def assert_same_encodings(ours, reference, *, special_decode=True):
    """Ids and masks (singles, pairs, padding, truncation) and decodes identical.

    `special_decode=False`: decodes compared without special tokens only (the reference's slow
    ByT5Tokenizer puts extra spaces around `<extra_id_N>` when it keeps them)."""
    for texts, options in (
        ((CORPUS,), {}),
        (PAIRS, {}),
        ((CORPUS,), {"padding": True}),
        (PAIRS, {"truncation": True, "max_length": 16, "padding": "max_length"}),
    ):
        got, want = ours(*texts, **options), reference(*texts, **options)
        assert got["input_ids"] == want["input_ids"], options
        assert got["attention_mask"] == want["attention_mask"], options
    ids = reference(CORPUS)["input_ids"]
    for skip in (True, False) if special_decode else (True,):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == reference.batch_decode(
            ids, skip_special_tokens=skip
        )


@pytest.mark.parametrize("model_type", ["t5", "mt5"])
def test_sentencepiece_matches_reference(spiece_model, model_type, tmp_path):
    (tmp_path / "spiece.model").write_bytes(spiece_model)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    reference = _reference("T5TokenizerFast", str(tmp_path))
    assert len(ours) == len(reference)
    assert ours.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_99>"]) == (
        reference.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_99>"])
    )
    assert_same_encodings(ours, reference)
    ours.save_pretrained(tmp_path / "tfx")
    assert_same_encodings(ours, _reference("T5TokenizerFast", str(tmp_path / "tfx")))


@pytest.fixture
def byt5_folder(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.ByT5Tokenizer().save_pretrained(tmp_path)
    return tmp_path


@pytest.mark.parametrize("with_config", [True, False], ids=["checkpoint", "tokenizer-only"])
def test_byt5_matches_reference(byt5_folder, with_config):
    if with_config:  # a ByT5 checkpoint's model_type is "t5"
        (byt5_folder / "config.json").write_text(json.dumps({"model_type": "t5"}))
    ours = AutoTokenizer.from_pretrained(byt5_folder)
    reference = _reference("ByT5Tokenizer", str(byt5_folder))
    assert len(ours) == len(reference) == 384
    assert ours.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_124>"]) == [259, 383]
    assert ours("é")["input_ids"] == [0xC3 + 3, 0xA9 + 3, 1]
    assert_same_encodings(ours, reference, special_decode=False)
    ids = reference("x <pad></s> y")["input_ids"]
    assert ours.decode(ids) == reference.decode(ids)


def test_byt5_round_trip_through_reference(byt5_folder, tmp_path):
    ours = AutoTokenizer.from_pretrained(byt5_folder)
    ours.save_pretrained(tmp_path / "tfx")
    back = _reference("ByT5Tokenizer", str(tmp_path / "tfx"))
    assert_same_encodings(ours, back, special_decode=False)
    assert_same_encodings(AutoTokenizer.from_pretrained(tmp_path / "tfx"), ours)


def test_t5_checkpoint_without_vocabulary_is_a_tokenizer_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5"}))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "T5Tokenizer"}))
    with pytest.raises(TokenizerError, match=r"spiece\.model"):
        AutoTokenizer.from_pretrained(tmp_path)
