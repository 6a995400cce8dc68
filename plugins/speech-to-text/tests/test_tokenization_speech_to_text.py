"""Speech2TextTokenizer and Speech2TextProcessor against the reference's (slow, SentencePiece)
classes.

A BPE SentencePiece model is trained here (`SentencePieceTrainer` on the kit's small corpus)
with a fairseq-style `vocab.json` (`<s> <pad> </s> <unk>` first). Ids, decodes (with and without
special tokens, upper-cased as LibriSpeech checkpoints are) and saved folders must agree both
ways; the processor must give the reference's features and labels.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_plugin_speech_to_text.tokenization_speech_to_text import (  # noqa: E402
    Speech2TextTokenizer,
)

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_core.processing import AutoProcessor  # noqa: E402
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, train_sentencepiece  # noqa: E402

TEXTS = [*CORPUS, "<unk> and </s> inside", "MIXED Case words"]
FEATURE_EXTRACTOR = {
    "feature_extractor_type": "Speech2TextFeatureExtractor",
    "feature_size": 80,
    "num_mel_bins": 80,
    "sampling_rate": 16000,
    "padding_value": 0.0,
    "padding_side": "right",
    "do_ceptral_normalize": True,
    "normalize_means": True,
    "normalize_vars": True,
    "return_attention_mask": True,
    "processor_class": "Speech2TextProcessor",
}


def write_tokenizer(folder: Path, **config) -> None:
    """A BPE SentencePiece model and a fairseq-style vocab.json in `folder`."""
    import sentencepiece

    folder.mkdir(parents=True, exist_ok=True)
    model = train_sentencepiece(model_type="bpe")
    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    pieces = [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *pieces])}
    (folder / "sentencepiece.bpe.model").write_bytes(model)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "Speech2TextTokenizer", **config})
    )


def write_processor(folder: Path, **config) -> None:
    write_tokenizer(folder, **config)
    (folder / "preprocessor_config.json").write_text(json.dumps(FEATURE_EXTRACTOR))


def _reference(folder, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.Speech2TextTokenizer.from_pretrained(str(folder), **kwargs)


@pytest.mark.parametrize("case", [{}, {"do_upper_case": True}, {"do_lower_case": True}])
def test_ids_and_decodes_match(case, tmp_path):
    write_tokenizer(tmp_path, **case)
    ours, ref = AutoTokenizer.from_pretrained(tmp_path), _reference(tmp_path)
    assert type(ours) is Speech2TextTokenizer
    assert ours(TEXTS).data == ref(TEXTS).data
    padded = dict(padding=True, truncation=True, max_length=12)
    assert ours(TEXTS[:6], **padded).data == ref(TEXTS[:6], **padded).data
    assert ours.special_tokens_map == ref.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    rows = [*ref(TEXTS)["input_ids"], [2, 5, 6, 2, 7, 1, 1], [0, 9, 10, 3, 11, 2]]
    for ids in rows:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )
    assert ours.batch_decode(rows, skip_special_tokens=True) == ref.batch_decode(
        rows, skip_special_tokens=True
    )


def test_saved_folders_load_both_ways(tmp_path):
    write_tokenizer(tmp_path / "src", do_upper_case=True)
    ours = AutoTokenizer.from_pretrained(tmp_path / "src")
    ours.save_pretrained(tmp_path / "tfx")
    ref = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert type(ref).__name__ == "Speech2TextTokenizer" and ref.do_upper_case
    assert ref(TEXTS).data == ours(TEXTS).data
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert again(TEXTS).data == ref(TEXTS).data
    assert again.decode(ref(TEXTS[0])["input_ids"]) == ref.decode(ref(TEXTS[0])["input_ids"])


MUSTC = ("pt", "fr", "ru", "nl", "ro", "it", "es", "de")


def write_multilingual(folder: Path, in_spm: bool = True, **config) -> None:
    """A MuST-C-style multilingual tokenizer: `<lang:xx>` pieces in the SentencePiece model
    (user-defined symbols) and in vocab.json, whose ids differ (fairseq's four specials first)."""
    import sentencepiece

    folder.mkdir(parents=True, exist_ok=True)
    tokens = [f"<lang:{code}>" for code in MUSTC]
    options = {"user_defined_symbols": tokens} if in_spm else {}
    model = train_sentencepiece(model_type="bpe", **options)
    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    pieces = [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]
    pieces += [] if in_spm else tokens
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *pieces])}
    (folder / "sentencepiece.bpe.model").write_bytes(model)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "Speech2TextTokenizer", "lang_codes": "mustc", **config})
    )


MULTI_TEXTS = [*TEXTS, "a <lang:fr> token written in the text"]


@pytest.mark.parametrize("in_spm", [True, False])
@pytest.mark.parametrize("config", [{}, {"tgt_lang": "de"}, {"do_upper_case": True}])
def test_multilingual_ids_decodes_and_languages_match(config, in_spm, tmp_path):
    write_multilingual(tmp_path, in_spm=in_spm, **config)
    ours, ref = AutoTokenizer.from_pretrained(tmp_path), _reference(tmp_path)
    assert ours.tgt_lang == ref.tgt_lang
    assert ours.lang_code_to_id == ref.lang_code_to_id
    assert ours(MULTI_TEXTS).data == ref(MULTI_TEXTS).data
    assert ours(text_target=MULTI_TEXTS[:3]).data == ref(text_target=MULTI_TEXTS[:3]).data
    assert ours(MULTI_TEXTS[0], MULTI_TEXTS[1]).data == ref(MULTI_TEXTS[0], MULTI_TEXTS[1]).data
    ids = ref(MULTI_TEXTS)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == ref.batch_decode(
            ids, skip_special_tokens=skip
        )
    assert set(ours.all_special_tokens) == set(ref.all_special_tokens)
    for code in ("it", "pt"):  # switching the target language rebuilds the prefix
        ours.tgt_lang = ref.tgt_lang = code
        assert ours(MULTI_TEXTS).data == ref(MULTI_TEXTS).data


def test_multilingual_folders_load_both_ways(tmp_path):
    write_multilingual(tmp_path / "src", tgt_lang="ru")
    ours = AutoTokenizer.from_pretrained(tmp_path / "src")
    ours.tgt_lang = "es"
    ours.save_pretrained(tmp_path / "tfx")
    ref = _reference(tmp_path / "tfx")
    assert ref.tgt_lang == "es" and ref(MULTI_TEXTS).data == ours(MULTI_TEXTS).data
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert again.tgt_lang == "es" and again(MULTI_TEXTS).data == ref(MULTI_TEXTS).data
    again.tgt_lang = "nl"
    assert again.lang_code_to_id == ref.lang_code_to_id


def test_multilingual_bad_settings_are_clear_errors(tmp_path):
    write_multilingual(tmp_path / "a", tgt_lang="xx")
    with pytest.raises(TokenizerError, match="tgt_lang='xx'"):
        AutoTokenizer.from_pretrained(tmp_path / "a")
    write_multilingual(tmp_path / "b")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "b")
    with pytest.raises(TokenizerError, match="not one of the mustc languages"):
        tokenizer.tgt_lang = "en"
    write_tokenizer(tmp_path / "c", lang_codes="covost")
    with pytest.raises(TokenizerError, match="lang_codes='covost' is unknown"):
        AutoTokenizer.from_pretrained(tmp_path / "c")
    write_tokenizer(tmp_path / "d", lang_codes="mustc")  # no language tokens in vocab.json
    with pytest.raises(TokenizerError, match="lacks <lang:pt>"):
        AutoTokenizer.from_pretrained(tmp_path / "d")
    write_tokenizer(tmp_path / "e")
    with pytest.raises(TokenizerError, match="tgt_lang applies to multilingual"):
        AutoTokenizer.from_pretrained(tmp_path / "e").tgt_lang = "fr"


def test_processor_matches_the_reference(tmp_path):
    write_processor(tmp_path, do_upper_case=True)
    ours = AutoProcessor.from_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.AutoProcessor.from_pretrained(str(tmp_path))
    assert type(ours).__name__ == type(ref).__name__ == "Speech2TextProcessor"
    rng = np.random.default_rng(0)
    clips = [
        np.sin(np.arange(8000) * 0.05).astype(np.float32),
        rng.standard_normal(5600).astype(np.float32) * 0.1,
    ]
    kwargs = dict(sampling_rate=16000, padding=True, return_tensors="np")
    got, expected = ours(audio=clips, **kwargs), ref(audio=clips, **kwargs)
    assert got["input_features"].shape == expected["input_features"].shape
    np.testing.assert_allclose(got["input_features"], expected["input_features"], atol=1e-4)
    assert (got["attention_mask"] == expected["attention_mask"]).all()
    labels_ours = ours(text=TEXTS[:2])["input_ids"]
    assert labels_ours == ref(text=TEXTS[:2])["input_ids"]
    ids = expected_ids = ref.tokenizer(TEXTS[0])["input_ids"]
    assert ours.batch_decode([ids]) == ref.batch_decode([expected_ids])
