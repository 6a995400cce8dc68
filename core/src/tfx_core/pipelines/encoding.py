"""Pipelines' view of a tokenizer: batch encoding with offsets, word ids and overflow.

Pipelines encode through a private copy of the tokenizer's `tokenizers.Tokenizer`, so they can
set truncation and stride per call (tokenizer.json files often carry padding or truncation
settings of their own) without touching the user's tokenizer, and encode a whole batch in one
call into Rust. Everything else a pipeline needs from a tokenizer (special token ids, decoding)
goes through this class too, so task modules depend on one small surface.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from tfx_core.errors import PipelineError

TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")

#: model_max_length values at or above this mean "no limit" (the reference's sentinel is 1e30).
_NO_LIMIT = 10**9

_SPECIAL = ("pad", "mask", "cls", "sep", "unk", "bos", "eos")


def backend_of(tokenizer: Any) -> Any:
    """The `tokenizers.Tokenizer` behind `tokenizer` (or `tokenizer` itself when it is one)."""
    import tokenizers

    if isinstance(tokenizer, tokenizers.Tokenizer):
        return tokenizer
    for name in ("backend_tokenizer", "backend", "_tokenizer", "tokenizer"):
        candidate = getattr(tokenizer, name, None)
        if isinstance(candidate, tokenizers.Tokenizer):
            return candidate
    raise PipelineError(
        f"Pipelines need a tokenizer backed by the `tokenizers` library; got {type(tokenizer)!r}. "
        "Load it with tfx_core.AutoTokenizer.from_pretrained(...)."
    )


class TextEncoder:
    """Encodes texts and pairs for a pipeline; decodes ids back to text."""

    def __init__(self, tokenizer: Any) -> None:
        import tokenizers

        self.tokenizer = tokenizer
        backend = backend_of(tokenizer)
        try:
            self._backend = tokenizers.Tokenizer.from_str(backend.to_str())
        except Exception:  # Python parts (fastBPE) cannot be copied: share the tokenizer's own
            self._backend = backend
        self._backend.no_padding()
        self._backend.no_truncation()
        self._truncation: tuple | None = None
        self._lock = threading.Lock()
        self.vocab: dict[str, int] = self._backend.get_vocab(with_added_tokens=True)
        model = self._backend.model
        #: WordPiece-style "##": lets token classification tell subwords from words.
        self.continuing_subword_prefix: str | None = getattr(
            model, "continuing_subword_prefix", None
        )
        self.padding_side: str = getattr(tokenizer, "padding_side", None) or "right"
        self.ids: dict[str, int | None] = {name: self._special_id(name) for name in _SPECIAL}
        self.tokens: dict[str, str | None] = {name: self._special_token(name) for name in _SPECIAL}
        limit = getattr(tokenizer, "model_max_length", None)
        self.model_max_length: int | None = (
            int(limit) if isinstance(limit, (int, float)) and 0 < limit < _NO_LIMIT else None
        )

    # ------------------------------------------------------------ special tokens
    def _special_token(self, name: str) -> str | None:
        token = getattr(self.tokenizer, f"{name}_token", None)
        if token is not None and not isinstance(token, str):
            token = getattr(token, "content", None) or str(token)
        return token

    def _special_id(self, name: str) -> int | None:
        value = getattr(self.tokenizer, f"{name}_token_id", None)
        if isinstance(value, int):
            return value
        token = self._special_token(name)
        return self.vocab.get(token) if token is not None else None

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        texts: Sequence[Any],
        pairs: Sequence[Any] | None = None,
        *,
        add_special_tokens: bool = True,
        truncation: bool | str = False,
        max_length: int | None = None,
        stride: int = 0,
        is_pretokenized: bool = False,
    ) -> list[list[Any]]:
        """Encode a batch; per input, its encodings (the first, then any overflowing windows).

        `truncation`: False, True / "longest_first", "only_first" or "only_second";
        `max_length` defaults to the tokenizer's `model_max_length`.
        """
        if not texts:
            return []
        strategy = "longest_first" if truncation is True else truncation or None
        if strategy not in (None, *TRUNCATION_STRATEGIES):
            raise PipelineError(
                f"truncation must be true, false or one of {', '.join(TRUNCATION_STRATEGIES)}, "
                f"got {truncation!r}."
            )
        if strategy is not None and max_length is None:
            max_length = self.model_max_length
        if max_length is None:
            strategy = None
        batch = list(zip(texts, pairs)) if pairs is not None else list(texts)
        with self._lock:
            wanted = None if strategy is None else (int(max_length), int(stride), strategy)
            if wanted != self._truncation:
                if wanted is None:
                    self._backend.no_truncation()
                else:
                    self._backend.enable_truncation(wanted[0], stride=wanted[1], strategy=wanted[2])
                self._truncation = wanted
            try:
                encodings = self._backend.encode_batch(
                    batch, is_pretokenized=is_pretokenized, add_special_tokens=add_special_tokens
                )
            except Exception as exc:
                raise PipelineError(f"The tokenizer could not encode the input: {exc}") from exc
        if strategy is None:
            return [[encoding] for encoding in encodings]
        return [[encoding, *encoding.overflowing] for encoding in encodings]

    def token_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def id_to_token(self, token_id: int) -> str:
        token = self._backend.id_to_token(int(token_id))
        return token if token is not None else ""

    # ------------------------------------------------------------------ decoding
    def decode(
        self, ids: Sequence[int], *, skip_special_tokens: bool = False, **kwargs: Any
    ) -> str:
        """Decode through the user's tokenizer, so clean-up rules match its own `decode`."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens, **kwargs)

    def tokens_to_string(self, tokens: list[str]) -> str:
        """Join tokens back into text with the tokenizer's decoder ("##" merged, etc.)."""
        decoder = self._backend.decoder
        if decoder is None:
            return " ".join(tokens)
        return decoder.decode(tokens)
