"""FNet's tokenizer (`spiece.model` through the core's `convert_fnet`) against
`transformers.FNetTokenizerFast` built from the same file.

A tiny SentencePiece unigram model is trained here with the layout of the real file
(`<pad>` 0, `<unk>` 1, `[CLS]` `[SEP]` `[MASK]` control symbols). On a mixed
corpus (accents, CJK, emoji, long words, whitespace runs), singles and pairs, truncated and
padded: ids, token types, masks, offsets and special-token masks must be identical, the
special tokens and added tokens too, and each library must load what the other saved.
"""

from __future__ import annotations

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tfx_sdk.conformance.tiny_sentencepiece import train_sentencepiece  # noqa: E402
from tfx_sdk.conformance.tokenizer_parity import (  # noqa: E402
    TokenizerParitySuite,
    load_pair,
    mixed_corpus,
)

CORPUS = mixed_corpus("[CLS] looks special [SEP] and [MASK] too")

OPTIONS = {
    "default": None,
    "lower-no-accents": {"do_lower_case": True, "keep_accents": False},
}


@pytest.fixture(scope="module")
def spm_model() -> bytes:
    return train_sentencepiece(
        sentences=CORPUS * 3,
        model_type="unigram",
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
    )


@pytest.fixture(scope="module", params=list(OPTIONS))
def pair(request, spm_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "spiece.model").write_bytes(spm_model)
    return load_pair(folder, "FNetTokenizerFast", "fnet", OPTIONS[request.param])


class TestTokenizer(TokenizerParitySuite):
    corpus = CORPUS
    probe = "a [MASK] b"
