"""M2M100Tokenizer against the reference's (slow, SentencePiece) M2M100Tokenizer.

A BPE SentencePiece model is trained here with a fairseq-style `vocab.json` (`<s> <pad> </s>
<unk>` first). Ids with the source and target language tokens, decodes, the language tables and
the translation inputs must be identical, and saved folders load both ways.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_plugin_m2m100.tokenization_m2m100 import M2M100Tokenizer  # noqa: E402

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, train_sentencepiece  # noqa: E402

TEXTS = [*CORPUS, "__fr__ inside __de__ text", "<unk> and </s> inside"]


def write_tokenizer(folder: Path) -> None:
    """A BPE SentencePiece model and a fairseq-style vocab.json in `folder`."""
    import sentencepiece

    model = train_sentencepiece(model_type="bpe")
    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    pieces = [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *pieces])}
    (folder / "sentencepiece.bpe.model").write_bytes(model)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "M2M100Tokenizer"})
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("m2m100")
    write_tokenizer(folder)
    return folder


def _reference(folder, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.M2M100Tokenizer.from_pretrained(str(folder), **kwargs)


def test_ids_languages_and_decodes_match(folder):
    ours = AutoTokenizer.from_pretrained(folder, src_lang="fr", tgt_lang="de")
    ref = _reference(folder, src_lang="fr", tgt_lang="de")
    assert type(ours) is M2M100Tokenizer
    assert ours(TEXTS).data == ref(TEXTS).data
    assert ours(TEXTS, text_target=TEXTS[::-1]).data == ref(TEXTS, text_target=TEXTS[::-1]).data
    padded = dict(padding=True, truncation=True, max_length=12)
    assert ours(TEXTS[:6], **padded).data == ref(TEXTS[:6], **padded).data
    assert ours.special_tokens_map == ref.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.lang_code_to_id == ref.lang_code_to_id
    assert ours.get_lang_id("zu") == ref.get_lang_id("zu")
    for ids in ref(TEXTS)["input_ids"]:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )
    built = ours._build_translation_inputs(TEXTS[:3], src_lang="ro", tgt_lang="uk")
    expected = ref._build_translation_inputs(TEXTS[:3], src_lang="ro", tgt_lang="uk")
    assert built.data == expected.data


def test_saved_folders_load_both_ways(folder, tmp_path):
    ours = AutoTokenizer.from_pretrained(folder, src_lang="de")
    ours.save_pretrained(tmp_path / "tfx")
    ref = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert type(ref).__name__ == "M2M100Tokenizer" and ref.src_lang == "de"
    assert ref(TEXTS).data == ours(TEXTS).data
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert again(TEXTS).data == ref(TEXTS).data


def test_unknown_language_is_a_typed_error(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    with pytest.raises(TokenizerError, match="Unknown language code 'xx'"):
        tokenizer.get_lang_id("xx")
    with pytest.raises(TokenizerError, match="language_codes"):
        AutoTokenizer.from_pretrained(folder, language_codes="nope")
