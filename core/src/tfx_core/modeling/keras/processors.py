"""The reference's logits processors for the XLA decoding loops, on static shapes.

Each step, the loops hand the processor the ids so far as one fixed-width `history` tensor
(`[rows, width]`): the columns `[first, length)` are the sequence the reference would see
(decoder-only: the user's prompt then the new tokens; encoder-decoders: the start token then
the new tokens); columns before `first` are bucket padding and columns from `length` on are not
written yet. Every rule is a mask over the vocabulary, so nothing changes shape and one compiled
loop serves every step. The rules run in the reference's order: repetition penalty,
`no_repeat_ngram_size`, `encoder_no_repeat_ngram_size`, `bad_words_ids`, `min_length`,
`min_new_tokens`, `forced_bos_token_id`, `forced_eos_token_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tfx_core.modeling.keras.backend import tf

__all__ = ["ProcessorSettings", "StepView", "ban_repeated_ngrams", "logits_processor"]


@dataclass(frozen=True)
class ProcessorSettings:
    """The processors a request asks for (hashable: part of a compiled loop's key)."""

    eos: tuple[int, ...] = ()
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    encoder_no_repeat_ngram_size: int = 0
    bad_words: tuple[tuple[int, ...], ...] = ()
    min_length: int = 0
    min_new_tokens: int = 0
    forced_bos: int | None = None
    forced_eos: tuple[int, ...] = ()
    #: the decoder start token of encoder-decoders (the first history column), else None
    start: int | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.repetition_penalty != 1.0
            or self.no_repeat_ngram_size
            or self.encoder_no_repeat_ngram_size
            or self.bad_words
            or (self.eos and (self.min_length > 0 or self.min_new_tokens > 0))
            or self.forced_bos is not None
            or self.forced_eos
        )


class StepView(NamedTuple):
    """What a processor sees at one step (all tensors; `source` only for encoder-decoders)."""

    step: Any  # new tokens chosen so far
    count: Any  # new tokens requested
    history: Any  # [rows, width] ids so far, see the module docstring
    length: Any  # columns of `history` written: [0, length)
    first: Any  # first column that is the user's (earlier ones are bucket padding)
    source: Any = None  # [rows, source width] encoder ids (right-padded)
    source_length: Any = None  # the user's source length


def _window_match(ids: Any, previous: Any, size: int) -> Any:
    """`[rows, windows]`: the window at w has `ids[:, w + k] == previous[:, k]` for k < size - 1."""
    windows = ids.shape[1] - size + 1
    match = tf.ones((tf.shape(ids)[0], windows), tf.bool)
    for k in range(size - 1):
        match &= ids[:, k : k + windows] == previous[:, k : k + 1]
    return match


def _last_tokens(view: StepView, count: int) -> Any:
    """The last `count` written history tokens `[rows, count]` (clamped at column 0)."""
    columns = tf.maximum(view.length - count + tf.range(count), 0)
    return tf.gather(view.history, columns, axis=1)


def _marked(scores: Any, rows_tokens: Any, flags: Any) -> Any:
    """`[rows, vocab]` bools: true at `(row, rows_tokens[row, j])` wherever `flags[row, j]`."""
    rows, width = tf.shape(rows_tokens)[0], rows_tokens.shape[1]
    row_index = tf.broadcast_to(tf.range(rows)[:, None], (rows, width))
    indices = tf.reshape(tf.stack([row_index, rows_tokens], axis=-1), (-1, 2))
    hits = tf.scatter_nd(indices, tf.reshape(tf.cast(flags, tf.int32), (-1,)), tf.shape(scores))
    return hits > 0


def _ban(scores: Any, rows_tokens: Any, flags: Any) -> Any:
    """-inf at `(row, rows_tokens[row, j])` wherever `flags[row, j]`."""
    return tf.where(_marked(scores, rows_tokens, flags), tf.cast(-np.inf, scores.dtype), scores)


def ban_repeated_ngrams(scores: Any, view: StepView, size: int) -> Any:
    """-inf for every token that would repeat an n-gram (`size`) of the history."""
    windows = view.history.shape[1] - size + 1
    if windows <= 0:
        return scores
    match = _window_match(view.history, _last_tokens(view, size - 1), size)
    start = tf.range(windows)
    match &= ((start >= view.first) & (start <= view.length - size))[None]
    return _ban(scores, view.history[:, size - 1 :], match)


def ban_source_ngrams(scores: Any, view: StepView, size: int) -> Any:
    """-inf for every token that would complete an n-gram (`size`) of the encoder input."""
    windows = view.source.shape[1] - size + 1
    if windows <= 0:
        return scores
    match = _window_match(view.source, _last_tokens(view, size - 1), size)
    match &= (tf.range(windows) + size <= view.source_length)[None]
    match &= view.length >= size - 1
    return _ban(scores, view.source[:, size - 1 :], match)


def penalize_repetitions(scores: Any, view: StepView, penalty: float) -> Any:
    """Scores of tokens already in the sequence: divided by `penalty` if > 0, else multiplied."""
    columns = tf.range(view.history.shape[1])
    written = (columns >= view.first) & (columns < view.length)
    flags = tf.broadcast_to(written[None], tf.shape(view.history))
    seen = _marked(scores, view.history, flags)
    penalized = tf.where(scores < 0, scores * penalty, scores / penalty)
    return tf.where(seen, penalized, scores)


def ban_words(scores: Any, view: StepView, words: tuple[tuple[int, ...], ...]) -> Any:
    """-inf for the last token of each bad word whose other tokens end the sequence."""
    vocab = scores.shape[-1]
    banned = tf.zeros_like(scores, tf.bool)
    for word in words:
        target = tf.one_hot(word[-1], vocab, on_value=True, off_value=False)[None]
        if len(word) == 1:
            banned |= target
            continue
        prefix = len(word) - 1
        tail = _last_tokens(view, prefix)
        match = tf.reduce_all(tail == tf.constant(word[:-1], tail.dtype)[None], axis=-1)
        match &= view.length - view.first >= len(word)
        banned |= target & match[:, None]
    return tf.where(banned, tf.cast(-np.inf, scores.dtype), scores)


def _only(scores: Any, token_ids: tuple[int, ...]) -> Any:
    """Scores that allow only `token_ids` (0 for them, -inf elsewhere)."""
    allowed = tf.reduce_any(
        tf.range(scores.shape[-1])[:, None] == tf.constant(token_ids, tf.int32)[None], axis=-1
    )
    return tf.where(allowed[None], tf.zeros_like(scores), tf.cast(-np.inf, scores.dtype))


def _block(scores: Any, token_ids: tuple[int, ...], when: Any) -> Any:
    """-inf for `token_ids` where `when` (a scalar bool) holds."""
    is_target = tf.reduce_any(
        tf.range(scores.shape[-1])[:, None] == tf.constant(token_ids, tf.int32)[None], axis=-1
    )
    return tf.where((is_target & when)[None], tf.cast(-np.inf, scores.dtype), scores)


def logits_processor(settings: ProcessorSettings) -> Any:
    """`process(scores, view) -> scores` applying `settings`, or None when nothing applies."""
    if not settings.active:
        return None
    s = settings

    def process(scores: Any, view: StepView) -> Any:
        current = view.length - view.first  # the length the reference sees
        if s.repetition_penalty != 1.0:
            scores = penalize_repetitions(scores, view, s.repetition_penalty)
        if s.no_repeat_ngram_size:
            scores = ban_repeated_ngrams(scores, view, s.no_repeat_ngram_size)
        if s.encoder_no_repeat_ngram_size:
            scores = ban_source_ngrams(scores, view, s.encoder_no_repeat_ngram_size)
        if s.bad_words:
            scores = ban_words(scores, view, s.bad_words)
        if s.eos and s.min_length > 0:
            scores = _block(scores, s.eos, current < s.min_length)
        if s.eos and s.min_new_tokens > 0:
            scores = _block(scores, s.eos, view.step < s.min_new_tokens)
        if s.forced_bos is not None:
            scores = tf.where(current == 1, _only(scores, (s.forced_bos,)), scores)
        if s.forced_eos:
            scores = tf.where(view.step == view.count - 1, _only(scores, s.forced_eos), scores)
        return scores

    return process
