"""MPNet's tokenizer (WordPiece `vocab.txt` through the core's `convert_mpnet`) against
`transformers.MPNetTokenizerFast` built from the same file.

A tiny WordPiece vocabulary is trained here (the `tokenizers` trainer, BERT normalization)
with the real file's layout: `<s>` `<pad>` `</s>` `<unk>` first, `<mask>` last. On a mixed corpus (accents, CJK, emoji,
long words, whitespace runs), singles and pairs, truncated and padded: ids, token types,
masks, offsets and special-token masks must be identical, the special and added tokens too,
and each library must load what the other saved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer as HFTokenizer  # noqa: E402
from tokenizers import models, normalizers, pre_tokenizers, trainers  # noqa: E402

from tfx_sdk.conformance.tokenizer_parity import (  # noqa: E402
    TokenizerParitySuite,
    load_pair,
    mixed_corpus,
)

CORPUS = mixed_corpus("<s> looks special </s> and a <mask> too [UNK]")


def write_mpnet_vocab(folder: Path, texts: list[str], vocab_size: int = 600) -> int:
    """`vocab.txt` trained on `texts`, laid out like MPNet's; returns its size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wordpiece = HFTokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "[UNK]"],
        show_progress=False,
    )
    wordpiece.train_from_iterator(texts, trainer)
    vocab = sorted(wordpiece.get_vocab().items(), key=lambda item: item[1])
    pieces = [piece for piece, _ in vocab] + ["<mask>"]
    (folder / "vocab.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
    return len(pieces)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mpnet-vocab")
    write_mpnet_vocab(folder, CORPUS * 2)
    return load_pair(folder, "MPNetTokenizerFast", "mpnet")


class TestTokenizer(TokenizerParitySuite):
    corpus = CORPUS
    probe = "a <mask> b"
