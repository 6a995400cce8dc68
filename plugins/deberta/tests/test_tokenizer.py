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
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer as HFTokenizer  # noqa: E402
from tokenizers import decoders, models, pre_tokenizers, trainers  # noqa: E402

from tfx_core.tokenization import Tokenizer  # noqa: E402
from tfx_sdk.conformance.tokenizer_suite import (  # noqa: E402
    assert_files_load_both_ways,
    assert_same_batches,
    assert_same_special_tokens,
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
    (folder / "config.json").write_text(json.dumps({"model_type": "deberta"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = transformers.DebertaTokenizerFast.from_pretrained(str(folder))
    return Tokenizer.from_pretrained(folder), reference


def test_encodings_match_the_reference(pair):
    ours, ref = pair
    assert_same_batches(ours, ref, CORPUS)


def test_special_tokens_match_the_reference(pair):
    ours, ref = pair
    assert_same_special_tokens(ours, ref, probe="a [MASK] b")


def test_saved_files_load_both_ways(pair, tmp_path):
    ours, ref = pair
    assert_files_load_both_ways(ours, ref, tmp_path, CORPUS)
