"""`BatchEncoding`: the tokenizer's output, a dict with alignment helpers.

Keys are the model inputs (`input_ids`, `attention_mask`, ...), readable as items or attributes.
Row `i` corresponds to `encodings[i]`, a `tokenizers.Encoding` that maps tokens back to words
and characters. When a call did not need offsets, tfx encodes without tracking them (faster)
and builds the full encodings only if one of the alignment helpers is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.tensors import check_tensor_type, convert_value


class CharSpan(NamedTuple):
    """Characters `[start, end)` of the original string."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """Tokens `[start, end)` of an encoded sequence."""

    start: int
    end: int


class BatchEncoding(dict):
    """Tokenizer output: model inputs by name, plus the `tokenizers.Encoding` of each row."""

    __slots__ = ("_encodings", "_encodings_factory", "_n_sequences")

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        encoding: Any = None,
        tensor_type: str | None = None,
        prepend_batch_axis: bool = False,
        n_sequences: int | None = None,
        *,
        encodings_factory: Callable[[], list] | None = None,
    ) -> None:
        dict.__init__(self, data or ())
        if encoding is not None and not isinstance(encoding, list):
            encoding = list(encoding) if isinstance(encoding, tuple) else [encoding]
        self._encodings = encoding
        self._encodings_factory = encodings_factory
        self._n_sequences = n_sequences
        if tensor_type is not None:
            self.convert_to_tensors(tensor_type, prepend_batch_axis=prepend_batch_axis)

    # ------------------------------------------------------------------ access
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"'BatchEncoding' object has no attribute or key {name!r}"
            ) from None

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return dict.__getitem__(self, item)
        encodings = self.encodings
        if encodings is not None:
            return encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(
            f"Invalid key {item!r}: use a key name ('input_ids'), a row index, or a slice."
        )

    def __reduce__(self) -> tuple:
        # The lazy encodings factory is a closure: build the encodings before pickling/copying.
        return (
            BatchEncoding,
            (dict(self), self.encodings, None, False, self._n_sequences),
        )

    @property
    def data(self) -> dict[str, Any]:
        """The plain dict of model inputs (the reference's `UserDict.data`)."""
        return dict(self)

    @property
    def encodings(self) -> list | None:
        """The `tokenizers.Encoding` of each row (None for outputs not built by a tokenizer)."""
        if self._encodings is None and self._encodings_factory is not None:
            self._encodings = self._encodings_factory()
            self._encodings_factory = None
        return self._encodings

    @property
    def is_fast(self) -> bool:
        return self._encodings is not None or self._encodings_factory is not None

    @property
    def n_sequences(self) -> int | None:
        """1 for single texts, 2 for pairs (None: unknown)."""
        if self._n_sequences is None and self.encodings:
            self._n_sequences = self.encodings[0].n_sequences
        return self._n_sequences

    # --------------------------------------------------------------- alignment
    def _encoding(self, name: str, batch_index: int) -> Any:
        encodings = self.encodings
        if not encodings:
            raise TokenizerError(
                f"{name}() needs the encodings of a tokenizer call; this BatchEncoding has none "
                "(it was built from plain data)."
            )
        try:
            return encodings[batch_index]
        except IndexError:
            raise TokenizerError(
                f"{name}(): row {batch_index} does not exist (the batch has {len(encodings)} rows)."
            ) from None

    @staticmethod
    def _split(first: int, second: int | None) -> tuple[int, int]:
        return (0, first) if second is None else (first, second)

    def tokens(self, batch_index: int = 0) -> list[str]:
        """The token strings of row `batch_index`."""
        return self._encoding("tokens", batch_index).tokens

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        """For each token, the index of the word it comes from (None for special tokens)."""
        return self._encoding("word_ids", batch_index).word_ids

    def words(self, batch_index: int = 0) -> list[int | None]:
        return self.word_ids(batch_index)

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        """For each token, 0 or 1 for the first or second text of a pair (None for special)."""
        return self._encoding("sequence_ids", batch_index).sequence_ids

    def _token_index(self, encoding: Any, token_index: int) -> int:
        return token_index + len(encoding) if token_index < 0 else token_index

    def token_to_sequence(self, batch_or_token_index: int, token_index: int | None = None) -> int:
        batch, token = self._split(batch_or_token_index, token_index)
        encoding = self._encoding("token_to_sequence", batch)
        return encoding.token_to_sequence(self._token_index(encoding, token))

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int:
        batch, token = self._split(batch_or_token_index, token_index)
        encoding = self._encoding("token_to_word", batch)
        return encoding.token_to_word(self._token_index(encoding, token))

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> TokenSpan | None:
        """The tokens of one word, or None if the word produced no token."""
        batch, word = self._split(batch_or_word_index, word_index)
        span = self._encoding("word_to_tokens", batch).word_to_tokens(word, sequence_index)
        return TokenSpan(*span) if span is not None else None

    def token_to_chars(
        self, batch_or_token_index: int, token_index: int | None = None
    ) -> CharSpan | None:
        """The characters of the original text one token covers (None for added tokens)."""
        batch, token = self._split(batch_or_token_index, token_index)
        encoding = self._encoding("token_to_chars", batch)
        span = encoding.token_to_chars(self._token_index(encoding, token))
        return CharSpan(*span) if span is not None else None

    def char_to_token(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        """The token covering one character of the original text (None if none does)."""
        batch, char = self._split(batch_or_char_index, char_index)
        return self._encoding("char_to_token", batch).char_to_token(char, sequence_index)

    def word_to_chars(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> CharSpan | None:
        batch, word = self._split(batch_or_word_index, word_index)
        span = self._encoding("word_to_chars", batch).word_to_chars(word, sequence_index)
        return CharSpan(*span) if span is not None else None

    def char_to_word(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        batch, char = self._split(batch_or_char_index, char_index)
        return self._encoding("char_to_word", batch).char_to_word(char, sequence_index)

    # ----------------------------------------------------------------- tensors
    def convert_to_tensors(
        self, tensor_type: str | None = None, prepend_batch_axis: bool = False
    ) -> BatchEncoding:
        """Turn every value into a `tensor_type` tensor ("np", "pt", "tf", "jax") in place."""
        kind = check_tensor_type(tensor_type)
        if kind is None:
            return self
        for key, value in list(self.items()):
            if prepend_batch_axis:
                value = [value]
            dict.__setitem__(self, key, convert_value(value, kind, key=key))
        return self

    def to(self, device: Any, *, non_blocking: bool = False) -> BatchEncoding:
        """Move every PyTorch tensor to `device` (other values are left as they are)."""
        if not isinstance(device, (str, int)) and type(device).__module__.split(".")[0] != "torch":
            raise TokenizerError(
                f"BatchEncoding.to() takes a device ('cpu', 'cuda:0', a torch.device or an index), "
                f"got {device!r}."
            )
        for key, value in list(self.items()):
            move = getattr(value, "to", None)
            if callable(move) and type(value).__module__.split(".")[0] == "torch":
                dict.__setitem__(self, key, move(device=device, non_blocking=non_blocking))
        return self

    def __repr__(self) -> str:
        return f"BatchEncoding({dict.__repr__(self)})"
