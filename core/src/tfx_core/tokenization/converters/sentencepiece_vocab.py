"""SentencePiece segmentation with ids from a separate `vocab.json` (Marian, M2M100).

Those families segment text with a SentencePiece model and then look each piece up in their
own vocabulary file, whose ids differ from the model's (special tokens first, language codes,
pieces the training data never used dropped). The equivalent `tokenizers` model keeps the
SentencePiece scores but lays the pieces out by `vocab.json` id. A piece of the `.model` that
`vocab.json` lacks cannot be produced (the reference maps it to `<unk>`; here the segmentation
picks the best pieces the vocabulary has), which real checkpoints, whose vocabularies hold
every piece, never see.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tokenizers import Tokenizer

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.sentencepiece import (
    CONTROL,
    USER_DEFINED,
    SentencePieceModel,
    build_model,
    default_normalizer,
    metaspace,
)

#: Score of a `vocab.json` entry the SentencePiece model does not have (never chosen).
ABSENT_SCORE = -1e6


def read_vocab_json(path: Path) -> dict[str, int]:
    """`{piece: id}` with ids 0..n-1, or an error that names the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokenizerError(f"The vocabulary file {path} does not exist.") from None
    except (OSError, ValueError) as exc:
        raise TokenizerError(f"Cannot read the vocabulary {path}: {exc}.") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in data.items()
    ):
        raise TokenizerError(f"{path} must map token strings to integer ids.")
    if sorted(data.values()) != list(range(len(data))):
        raise TokenizerError(
            f"The ids of {path} must be 0..{len(data) - 1}, each used once; download it again."
        )
    return data


def tokenizer_with_vocab(
    spm: SentencePieceModel, vocab: dict[str, int], unk_token: str, config: dict
) -> Tokenizer:
    """A `tokenizers.Tokenizer` segmenting like `spm` with `vocab`'s ids; SentencePiece's
    normalization and `▁` handling, no template."""
    if unk_token not in vocab:
        raise TokenizerError(f"The vocabulary has no {unk_token!r} (unk_token); add it or set it.")
    scores = {piece: score for piece, score, _ in spm.pieces}
    ordered = sorted(vocab, key=vocab.__getitem__)
    scored = [(piece, scores.get(piece, ABSENT_SCORE)) for piece in ordered]
    # The model's control pieces (`<s>`, ...) are added tokens only where the vocabulary has them.
    kept = [p for p in spm.pieces if p[2] not in (CONTROL, USER_DEFINED) or p[0] in vocab]
    tokenizer = build_model(replace(spm, pieces=kept), scored, vocab[unk_token])
    tokenizer.normalizer = default_normalizer(spm)
    tokenizer.pre_tokenizer, tokenizer.decoder = metaspace(config)
    return tokenizer
