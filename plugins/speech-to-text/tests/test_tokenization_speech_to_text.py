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


def test_multilingual_checkpoints_are_a_clear_error(tmp_path):
    write_tokenizer(tmp_path, lang_codes="mustc")
    with pytest.raises(TokenizerError, match="lang_codes"):
        AutoTokenizer.from_pretrained(tmp_path)


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
