"""MarianTokenizer against the reference's (slow, SentencePiece) MarianTokenizer.

Two unigram SentencePiece models are trained here (source and target sides differ), with a
`vocab.json` laid out like opus-mt's (`</s>`, `<unk>`, language codes, pieces, `<pad>` last), and
a separate-vocabularies variant (`target_vocab.json`). Ids, `text_target`, decodes and the
special tokens must be identical, and saved folders load both ways.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_plugin_marian.tokenization_marian import MarianTokenizer  # noqa: E402

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, train_sentencepiece  # noqa: E402

CODES = [">>fr<<", ">>de<<"]


def _pieces(model: bytes) -> list[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _vocab(*models: bytes) -> dict[str, int]:
    tokens = ["</s>", "<unk>", *CODES]
    for model in models:
        tokens += [p for p in _pieces(model) if p not in tokens and p not in ("<s>",)]
    return {token: index for index, token in enumerate([*tokens, "<pad>"])}


def write_tokenizer(folder: Path, separate: bool = False) -> None:
    """Source and target SentencePiece models and opus-mt-style vocabularies in `folder`."""
    source = train_sentencepiece(model_type="unigram", vocab_size=300)
    target = train_sentencepiece(model_type="unigram", vocab_size=220)
    (folder / "source.spm").write_bytes(source)
    (folder / "target.spm").write_bytes(target)
    vocabs = {"vocab.json": _vocab(source, target)}
    if separate:
        vocabs = {"vocab.json": _vocab(source), "target_vocab.json": _vocab(target)}
    for name, vocab in vocabs.items():
        (folder / name).write_text(json.dumps(vocab))
    config = {"tokenizer_class": "MarianTokenizer", "separate_vocabs": separate}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    made = {}
    for case, separate in (("joint", False), ("separate", True)):
        made[case] = tmp_path_factory.mktemp(case)
        write_tokenizer(made[case], separate)
    return made


def _reference(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.MarianTokenizer.from_pretrained(str(folder))


TEXTS = [*CORPUS, ">>fr<< Hello world!", ">>de<<Die Katze", "<unk> and </s> inside"]


def _texts(case: str) -> list[str]:
    # With separate vocabularies the reference encodes a literal "<pad>" in a target text with
    # the *source* vocabulary's id (its special tokens are registered once, from vocab.json);
    # tfx uses the target vocabulary's. Real targets never contain it.
    return [t for t in TEXTS if case == "joint" or "<pad>" not in t]


@pytest.mark.parametrize("case", ["joint", "separate"])
def test_ids_targets_and_decodes_match(folders, case):
    ours = AutoTokenizer.from_pretrained(folders[case])
    ref = _reference(folders[case])
    texts = _texts(case)
    assert type(ours) is MarianTokenizer
    assert ours(texts).data == ref(texts).data
    assert ours(texts, text_target=texts).data == ref(texts, text_target=texts).data
    padded = dict(padding=True, truncation=True, max_length=12)
    assert ours(texts[:6], **padded).data == ref(texts[:6], **padded).data
    assert ours.special_tokens_map == ref.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.supported_language_codes == ref.supported_language_codes
    for ids in ref(text_target=texts)["input_ids"]:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )
    targets = ref(text_target=texts)["input_ids"]
    assert ours.batch_decode(targets, skip_special_tokens=True) == ref.batch_decode(
        targets, skip_special_tokens=True
    )


@pytest.mark.parametrize("case", ["joint", "separate"])
def test_saved_folders_load_both_ways(folders, case, tmp_path):
    ours = AutoTokenizer.from_pretrained(folders[case])
    texts = _texts(case)
    ours.save_pretrained(tmp_path / "tfx")
    ref = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert type(ref).__name__ == "MarianTokenizer"
    assert ref(texts, text_target=texts).data == ours(texts, text_target=texts).data
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert again(texts, text_target=texts).data == ref(texts, text_target=texts).data


def test_missing_target_model_is_a_typed_error(folders, tmp_path):
    for name in ("source.spm", "vocab.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((folders["joint"] / name).read_bytes())
    with pytest.raises(TokenizerError, match=r"missing: target\.spm"):
        AutoTokenizer.from_pretrained(tmp_path)
