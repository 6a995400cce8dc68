"""FNet's tokenizer (`spiece.model` through the core's `convert_fnet`) against
`transformers.FNetTokenizerFast` built from the same file.

A tiny SentencePiece unigram model is trained here with the layout of the real file
(`<pad>` 0, `<unk>` 1, `[CLS]` `[SEP]` `[MASK]` control symbols). On a mixed
corpus (accents, CJK, emoji, long words, whitespace runs), singles and pairs, truncated and
padded: ids, token types, masks, offsets and special-token masks must be identical, the
special tokens and added tokens too, and each library must load what the other saved.
"""

from __future__ import annotations

import io
import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")

from tfx_core.tokenization import Tokenizer  # noqa: E402
from tfx_sdk.conformance.tokenizer_suite import (  # noqa: E402
    assert_files_load_both_ways,
    assert_same_batches,
    assert_same_special_tokens,
    mixed_corpus,
)

CORPUS = mixed_corpus("[CLS] looks special [SEP] and [MASK] too")

OPTIONS = {
    "default": None,
    "lower-no-accents": {"do_lower_case": True, "keep_accents": False},
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
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        minloglevel=2,
    )
    return buffer.getvalue()


@pytest.fixture(scope="module", params=list(OPTIONS))
def pair(request, spm_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "spiece.model").write_bytes(spm_model)
    (folder / "config.json").write_text(json.dumps({"model_type": "fnet"}))
    if OPTIONS[request.param] is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(OPTIONS[request.param]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.FNetTokenizerFast.from_pretrained(str(folder))
    return Tokenizer.from_pretrained(folder), reference, folder


def test_encodings_match_the_reference(pair):
    ours, ref, _ = pair
    assert_same_batches(ours, ref, CORPUS)


def test_special_tokens_match_the_reference(pair):
    ours, ref, _ = pair
    assert_same_special_tokens(ours, ref, probe="a [MASK] b")


def test_saved_files_load_both_ways(pair, tmp_path):
    ours, ref, _ = pair
    assert_files_load_both_ways(ours, ref, tmp_path, CORPUS)
