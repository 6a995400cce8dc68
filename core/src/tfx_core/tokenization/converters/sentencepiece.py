"""SentencePiece `.model` files as `tokenizers` pipelines (unigram and BPE).

A `.model` file is a protobuf (`sentencepiece_model.proto`): the pieces with their scores and
types, the algorithm (unigram or BPE), the normalization table and the special ids. This module
reads it with the `sentencepiece` package's protobuf bindings (`pip install
tfx-core[sentencepiece]`) and assembles the equivalent `tokenizers.Tokenizer` from its building
blocks, the way the reference library's slow->fast conversion does, so ids and offsets match.
The family variants (fairseq id offset, T5 sentinels, ALBERT normalization, ...) live in
`sentencepiece_families`; they differ in the vocabulary they lay out and what surrounds the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE, Unigram

from tfx_core.errors import TokenizerError

#: SentencePiece piece types (sentencepiece_model.proto, `ModelProto.SentencePiece.Type`).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
#: `TrainerSpec.model_type` values.
UNIGRAM, BPE_MODEL = 1, 2
SPACE = "\u2581"  # "▁", SentencePiece's visible space

_INSTALL = "Install SentencePiece support with `pip install tfx-core[sentencepiece]`."


@dataclass
class SentencePieceModel:
    """What a converter needs from a `.model` file."""

    path: Path
    pieces: list[tuple[str, float, int]]  # (piece, score, type), by original id
    algorithm: int
    unk_id: int
    unk_piece: str
    bos_id: int
    eos_id: int
    pad_id: int
    byte_fallback: bool
    precompiled_charsmap: bytes

    def piece(self, index: int) -> str | None:
        return self.pieces[index][0] if 0 <= index < len(self.pieces) else None


def read_model(path: Path) -> SentencePieceModel:
    """Parse a SentencePiece `.model` file, with errors that say what to do."""
    try:
        from sentencepiece import sentencepiece_model_pb2
    except ImportError as exc:  # sentencepiece missing, or protobuf missing under it
        raise TokenizerError(f"{path} is a SentencePiece model. {_INSTALL} ({exc})") from exc
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TokenizerError(f"The SentencePiece model {path} does not exist.") from None
    except OSError as exc:
        raise TokenizerError(f"Cannot read the SentencePiece model {path}: {exc}.") from exc
    proto = sentencepiece_model_pb2.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise TokenizerError(
            f"{path} is not a valid SentencePiece model ({type(exc).__name__}: {exc}). "
            "Download it again."
        ) from exc
    if not proto.pieces:
        raise TokenizerError(f"The SentencePiece model {path} has no pieces.")
    spec = proto.trainer_spec
    if spec.model_type not in (UNIGRAM, BPE_MODEL):
        raise TokenizerError(
            f"{path} was trained with SentencePiece model_type={spec.model_type} "
            "(word or char); only unigram and BPE models can be converted."
        )
    return SentencePieceModel(
        path=Path(path),
        pieces=[(p.piece, p.score, p.type) for p in proto.pieces],
        algorithm=spec.model_type,
        unk_id=spec.unk_id,
        unk_piece=spec.unk_piece or "<unk>",
        bos_id=spec.bos_id,
        eos_id=spec.eos_id,
        pad_id=spec.pad_id,
        byte_fallback=spec.byte_fallback,
        precompiled_charsmap=proto.normalizer_spec.precompiled_charsmap,
    )


def bpe_merges(
    original: dict[str, int], scored: Sequence[tuple[str, float]]
) -> list[tuple[str, str]]:
    """Merge rules recovered from a BPE vocabulary: every split of a piece into two known
    pieces, the best-scored pieces' merges first (ties: longer left, then longer right part)."""
    ranked: list[tuple[float, str, str]] = []
    for piece, score in dict(scored).items():
        splits = [
            (piece[:cut], piece[cut:])
            for cut in range(1, len(piece))
            if piece[:cut] in original and piece[cut:] in original
        ]
        splits.sort(key=lambda pair: (original[pair[0]], original[pair[1]]))
        ranked.extend((score, left, right) for left, right in splits)
    ranked.sort(key=lambda item: (item[0], len(item[1]), len(item[2])), reverse=True)
    return [(left, right) for _, left, right in ranked]


def build_model(
    spm: SentencePieceModel,
    vocab: list[tuple[str, float]],
    unk_id: int,
    *,
    byte_fallback: bool = False,
) -> Tokenizer:
    """A `tokenizers.Tokenizer` whose model is `vocab` (unigram or BPE, as trained), with the
    model's control and user-defined pieces registered as added tokens."""
    try:
        if spm.algorithm == UNIGRAM:
            model = Unigram(vocab, unk_id=unk_id, byte_fallback=byte_fallback)
        else:
            original = {piece: index for index, (piece, _, _) in enumerate(spm.pieces)}
            model = BPE(
                {piece: index for index, (piece, _) in enumerate(vocab)},
                bpe_merges(original, vocab),
                unk_token=spm.unk_piece,
                fuse_unk=True,
                byte_fallback=byte_fallback,
                dropout=None,
            )
    except Exception as exc:
        raise TokenizerError(f"Cannot build a tokenizer from {spm.path}: {exc}") from exc
    tokenizer = Tokenizer(model)
    tokenizer.add_tokens(
        [
            AddedToken(piece, normalized=False, special=kind == CONTROL)
            for piece, _, kind in spm.pieces
            if kind in (CONTROL, USER_DEFINED)
        ]
    )
    return tokenizer


def default_normalizer(spm: SentencePieceModel) -> normalizers.Normalizer:
    """The model's own normalization table, then right-strip and runs of spaces as one `▁`."""
    steps: list[Any] = []
    if spm.precompiled_charsmap:
        steps.append(normalizers.Precompiled(spm.precompiled_charsmap))
    steps += [normalizers.Strip(left=False, right=True), normalizers.Replace(Regex(" {2,}"), SPACE)]
    return normalizers.Sequence(steps)


def prepend_scheme(config: dict) -> str:
    """How `▁` is put before the text: always, only before the first word (legacy=False), never."""
    if not config.get("add_prefix_space", True):
        return "never"
    return "first" if config.get("legacy", True) is False else "always"


def metaspace(config: dict) -> tuple[pre_tokenizers.PreTokenizer, decoders.Decoder]:
    scheme = prepend_scheme(config)
    return (
        pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme=scheme),
        decoders.Metaspace(replacement=SPACE, prepend_scheme=scheme),
    )


def find_model_file(folder: Path, names: Sequence[str]) -> Path:
    """The first of `names` present in `folder` (the reference's file name for the family)."""
    for name in names:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    raise TokenizerError(f"No SentencePiece model ({' or '.join(names)}) in {folder}.")


def token_id(ids: dict[str, int], token: str, role: str, path: Path) -> int:
    """The id of a special token the family's template needs, or an error naming the role."""
    if token not in ids:
        raise TokenizerError(
            f"The SentencePiece model {path} has no {token!r} ({role}); set {role} in "
            "tokenizer_config.json to a token it has."
        )
    return ids[token]
