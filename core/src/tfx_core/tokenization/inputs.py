"""Validate what a tokenizer call was given and shape it into one `tokenizers` batch input.

A call may get one text, a pair, a batch of texts, a batch of pairs, or the same with
pre-tokenized words. The reference's rules decide which (a pair of one text and an empty string
is a single text, for instance); anything else is a `TokenizerError` saying what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfx_core.errors import TokenizerError


def _is_text_batch(values: Sequence) -> bool:
    return all(isinstance(value, str) for value in values)


def _is_words(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(word, str) for word in value)


def prepare_inputs(text: Any, text_pair: Any, split: bool) -> tuple[list, bool]:
    """The `tokenizers` batch input for a call, and whether the call was batched."""
    if split:
        batched = (
            isinstance(text, (list, tuple)) and len(text) > 0 and isinstance(text[0], (list, tuple))
        )
        what = "a list of words (is_split_into_words=True), or a list of such lists"
    else:
        batched = isinstance(text, (list, tuple))
        what = "a string, or a list of strings"
    if not batched:
        return _single(text, text_pair, split, what), False
    if not split and not _is_text_batch(text):
        bad = next(t for t in text if not isinstance(t, str))
        raise TokenizerError(
            f"Every text of a batch must be a string, got {type(bad).__name__} ({bad!r:.60}). "
            "For pre-tokenized input pass is_split_into_words=True."
        )
    if split and not all(_is_words(words) for words in text):
        raise TokenizerError(
            "With is_split_into_words=True every batch item must be a list of words."
        )
    if text_pair is None:
        return list(text), True
    if not isinstance(text_pair, (list, tuple)):
        raise TokenizerError(
            "For a batch of texts, `text_pair` must be a list of the same length, not "
            f"{type(text_pair).__name__}."
        )
    if len(text_pair) != len(text):
        raise TokenizerError(
            f"Batch size mismatch: {len(text)} texts but {len(text_pair)} text pairs. Pass one "
            "text_pair per text."
        )
    if split and not all(_is_words(words) for words in text_pair):
        raise TokenizerError(
            "With is_split_into_words=True every text_pair item must be a list of words."
        )
    if not split and not _is_text_batch(text_pair):
        raise TokenizerError("Every item of `text_pair` must be a string.")
    return list(zip(text, text_pair)), True


def _single(text: Any, text_pair: Any, split: bool, what: str) -> list:
    valid = _is_words if split else (lambda value: isinstance(value, str))
    if not valid(text):
        raise TokenizerError(f"Cannot encode {type(text).__name__}: `text` must be {what}.")
    if text_pair is None:
        return [text]
    if not valid(text_pair):
        raise TokenizerError(
            f"`text_pair` must match `text`: {what}, got {type(text_pair).__name__}."
        )
    # The reference treats an empty pair as no pair at all.
    return [(text, text_pair)] if text_pair else [text]
