"""fastBPE tokenizers from `vocab.txt` + `bpe.codes` (BERTweet, PhoBERT).

fastBPE splits text on whitespace (a trailing newline stays with its word), merges each word's
characters by the ranked `bpe.codes` rules (the last character carries `</w>`), and marks every
piece but a word's last with `@@`: "hello" -> "hel@@ lo". `vocab.txt` lists `token count` lines
after `<s> <pad> </s> <unk>` (ids 0-3); a piece outside it is `<unk>`. Texts are wrapped as
`<s> A </s></s> B </s>` with no token types. BERTweet's `normalization=True` first rewrites
the tweet as its pre-training data was (`tweet_normalization.py`); pieces keep the offsets of
the original text they came from.

The `tokenizers` BPE model cannot hold this scheme (it requires every intermediate merge in the
vocabulary and marks word ends, not continuations), so the converter builds a
`tokenizers.Tokenizer` whose pre-tokenizer runs the merges in Python and emits the pieces with
their offsets, followed by a word-level lookup: ids and offsets come from the Rust pipeline,
exactly as the reference's Python tokenizer splits. Such a pre-tokenizer cannot be written to
`tokenizer.json`, so `tfx_core.tokenization.fastbpe.FastBPETokenizer` saves the legacy files,
as the reference does.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, NormalizedString, PreTokenizedString, Tokenizer, processors
from tokenizers import decoders as rust_decoders
from tokenizers import pre_tokenizers as rust_pre_tokenizers
from tokenizers.models import WordLevel

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.tweet_normalization import TweetNormalizer, union_span

VOCAB_FILE = "vocab.txt"
CODES_FILE = "bpe.codes"
_WORDS = re.compile(r"\S+\n?")
_SPECIALS = {"bos_token": "<s>", "pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"}
_DEFAULTS = {**_SPECIALS, "sep_token": "</s>", "cls_token": "<s>", "mask_token": "<mask>"}


def read_vocab(path: Path, specials: list[str]) -> dict[str, int]:
    """The special tokens first, then one `token count` line each (a repeat takes a new id)."""
    vocab: dict[str, int] = {}
    for token in specials:
        vocab[token] = len(vocab)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenizerError(f"Cannot read the fastBPE vocabulary {path}: {exc}.") from exc
    for number, line in enumerate(lines, 1):
        line = line.strip()
        cut = line.rfind(" ")
        if cut == -1:
            raise TokenizerError(
                f"{path} line {number} is {line!r}; fastBPE vocabularies hold '<token> <count>'."
            )
        vocab[line[:cut]] = len(vocab)
    return vocab


def read_codes(path: Path) -> dict[tuple[str, str], int]:
    """Merge ranks from `a b count` lines (a line without a pair is skipped, as the reference)."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenizerError(f"Cannot read the fastBPE codes {path}: {exc}.") from exc
    ranks: dict[tuple[str, str], int] = {}
    for rank, line in enumerate(lines):
        parts = tuple(line.split()[:-1])
        if len(parts) == 2:
            ranks[parts] = rank  # type: ignore[index]  # a repeated pair: the last rank
    return ranks


class FastBPESplitter:
    """Pre-tokenizer: each word -> its fastBPE pieces (`hel@@`, `lo`) with original offsets.

    With a `normalizer` (BERTweet's `normalization=True`) the words are those of the normalized
    text, each piece keeping the span of the original text it came from.
    """

    def __init__(
        self, ranks: dict[tuple[str, str], int], normalizer: TweetNormalizer | None = None
    ) -> None:
        self.ranks = ranks
        self.normalizer = normalizer
        self.pieces = lru_cache(maxsize=65536)(self._pieces)

    def _pieces(self, word: str) -> tuple[str, ...]:
        symbols = [*word[:-1], word[-1] + "</w>"]
        if len(symbols) < 2:
            return (word,)
        ranks = self.ranks
        while len(symbols) > 1:
            pairs = {(a, b) for a, b in itertools.pairwise(symbols)}
            best = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
            if best not in ranks:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        symbols[-1] = symbols[-1][: -len("</w>")]
        return tuple(symbols)

    def split(self, _: int, text: NormalizedString) -> list[NormalizedString]:
        if self.normalizer is not None:
            return self.split_normalized(text)
        out = []
        content = str(text)
        for match in _WORDS.finditer(content):
            start = match.start()
            pieces = self.pieces(match.group())
            for number, piece in enumerate(pieces):
                chunk = text[start : start + len(piece)]
                if number < len(pieces) - 1:
                    chunk.append("@@")
                out.append(chunk)
                start += len(piece)
        return out

    def split_normalized(self, text: NormalizedString) -> list[NormalizedString]:
        """The normalized tweet's pieces, each a slice of `text` rewritten to the piece."""
        out = []
        for word, spans in self.normalizer.normalize(str(text)).words():
            pieces = self.pieces(word)
            at = 0
            for number, piece in enumerate(pieces):
                span = union_span(spans[at : at + len(piece)]) or union_span(spans)
                at += len(piece)
                chunk = _rewrite(text[span[0] : span[1]], piece)
                if number < len(pieces) - 1:
                    chunk.append("@@")
                out.append(chunk)
        return out

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(self.split)


def _rewrite(chunk: NormalizedString, piece: str) -> NormalizedString:
    """`chunk` (a slice of the original) made to read `piece`, its offsets spanning the slice
    (a one-character piece keeps the slice's first character's offsets)."""
    old = str(chunk)
    if old == piece:
        return chunk
    n, k = len(old), len(piece)
    m = min(n, k)
    keep = set(range(m - 1)) | {n - 1} if m > 1 else {0}
    position = iter(range(n))
    chunk.filter(lambda _: next(position) in keep)
    characters = iter(piece[:m])
    chunk.map(lambda _: next(characters))
    if k > m:
        chunk.append(piece[m:])
    return chunk


class FastBPEDecoder:
    """Pieces back to text: joined with spaces, `@@ ` continuations removed."""

    def decode_chain(self, tokens: list[str]) -> list[str]:
        return [" ".join(tokens).replace("@@ ", "").strip()]


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def convert_fastbpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """The reference's BERTweet / PhoBERT tokenizer from `vocab.txt` + `bpe.codes`."""
    for key, value in _DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    order = [_content(tokenizer_config[k]) for k in _SPECIALS]
    vocab = read_vocab(Path(folder) / VOCAB_FILE, order)
    ranks = read_codes(Path(folder) / CODES_FILE)
    unk = _content(tokenizer_config["unk_token"])
    tokenizer = Tokenizer(WordLevel(vocab, unk_token=unk))
    # BERTweet's tweet normalization (@USER, HTTPURL, emoji as text, split contractions)
    normalizer = TweetNormalizer() if tokenizer_config.get("normalization") else None
    splitter = FastBPESplitter(ranks, normalizer)
    tokenizer.pre_tokenizer = rust_pre_tokenizers.PreTokenizer.custom(splitter)
    tokenizer.decoder = rust_decoders.Decoder.custom(FastBPEDecoder())
    cls, sep = (_content(tokenizer_config[k]) for k in ("cls_token", "sep_token"))
    roles = [*order, sep, cls, _content(tokenizer_config["mask_token"])]
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in dict.fromkeys(roles)]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}",
        pair=f"{cls} $A {sep} {sep} $B {sep}",
        special_tokens=[(cls, tokenizer.token_to_id(cls)), (sep, tokenizer.token_to_id(sep))],
    )
    return tokenizer
