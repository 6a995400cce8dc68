"""DeBERTa's tokenizer (GPT-2 byte-level BPE `vocab.json` + `merges.txt` through the core's
`convert_deberta_bpe`) against `transformers.DebertaTokenizerFast` built from the same files.

A tiny byte-level BPE is trained here (the `tokenizers` trainer) with the real files' layout:
`[PAD]` `[CLS]` `[SEP]` `[UNK]` first, `[MASK]` last. On a mixed corpus (accents, CJK, emoji,
long words, whitespace runs), singles and pairs, truncated and padded: ids, token types,
masks, offsets and special-token masks must be identical, the special and added tokens too,
and each library must load what the other saved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer as HFTokenizer  # noqa: E402
from tokenizers import decoders, models, pre_tokenizers, trainers  # noqa: E402

from tfx_sdk.conformance.tokenizer_parity import (  # noqa: E402
    TokenizerParitySuite,
    load_pair,
    mixed_corpus,
)

CORPUS = mixed_corpus("[CLS] looks special [SEP] and a [MASK] too")


def write_deberta_bpe(folder: Path, texts: list[str], vocab_size: int = 400) -> int:
    """`vocab.json` + `merges.txt` trained on `texts`, laid out like DeBERTa's; returns the size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = HFTokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["[PAD]", "[CLS]", "[SEP]", "[UNK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    data = json.loads(bpe.to_str())["model"]
    vocab = data["vocab"]
    vocab["[MASK]"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["merges"]]
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
    return len(vocab)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deberta-bpe")
    write_deberta_bpe(folder, CORPUS * 2)
    return load_pair(folder, "DebertaTokenizerFast", "deberta")


class TestTokenizer(TokenizerParitySuite):
    corpus = CORPUS
    probe = "a [MASK] b"
