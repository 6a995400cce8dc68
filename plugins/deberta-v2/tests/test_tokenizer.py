"""DeBERTa-v2/v3's tokenizer (`spm.model` through the core's `convert_deberta_v2`) against
`transformers.DebertaV2TokenizerFast` built from the same file.

A tiny SentencePiece unigram model is trained here with the ids of the real v3 files
(`[PAD]` 0, `[CLS]` 1, `[SEP]` 2, `[UNK]` 3; `[MASK]` added after the pieces). On a mixed
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
    "lower-punct": {"do_lower_case": True, "split_by_punct": True},
}


@pytest.fixture(scope="module")
def spm_model() -> bytes:
    return train_sentencepiece(
        sentences=CORPUS * 3,
        model_type="unigram",
        pad_id=0,
        bos_id=1,
        eos_id=2,
        unk_id=3,
        pad_piece="[PAD]",
        bos_piece="[CLS]",
        eos_piece="[SEP]",
        unk_piece="[UNK]",
    )


@pytest.fixture(scope="module", params=list(OPTIONS))
def pair(request, spm_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "spm.model").write_bytes(spm_model)
    return load_pair(folder, "DebertaV2TokenizerFast", "deberta-v2", OPTIONS[request.param])


class TestTokenizer(TokenizerParitySuite):
    corpus = CORPUS
    probe = "a [MASK] b"


def test_mask_is_the_last_id(pair):
    ours, ref = pair
    assert ours.mask_token_id == len(ref) - 1
