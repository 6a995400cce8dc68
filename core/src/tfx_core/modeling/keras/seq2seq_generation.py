"""`generate` for Keras encoder-decoders: the XLA loops of `generation.py` over a seq2seq state.

Inside the one compiled function: the encoder runs once on the (right-padded, bucketed) source,
its states are repeated per beam, every decoder layer's cross-attention keys/values are
projected once, and the decoder steps one token at a time over a static self-attention cache
that starts with `decoder_start_token_id`. Greedy, sampling and beam search are the loops of
`generation.py` / `beam.py`; this module supplies their hooks (`_begin`, `_advance`,
`_reorder`) and the reference's logits processors for seq2seq requests: `min_length`,
`no_repeat_ngram_size`, `forced_bos_token_id`, `forced_eos_token_id`, all applied in the
reference's order, inside the loop.

A model provides `encode_source(ids, mask)`, `cross_context(encoder_states, mask)`,
`init_cache(rows, length)` and `decode_step(ids, index, cache, context, length)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.generation import (
    PROMPT_BUCKETS,
    TFGenerationMixin,
    _eos_list,
    bucket,
    reorder_cache,
)

__all__ = ["TFSeq2SeqGenerationMixin", "ban_repeated_ngrams", "seq2seq_processor"]


def ban_repeated_ngrams(scores: Any, history: Any, length: Any, size: int) -> Any:
    """-inf for every token that would repeat an n-gram (`size`) of `history[:, :length]`."""
    rows, width = history.shape[0], history.shape[1]
    windows = width - size + 1
    if windows <= 0:
        return scores
    previous = tf.gather(
        history, tf.maximum(length - size + 1 + tf.range(size - 1), 0), axis=1
    )  # the last size-1 tokens
    match = tf.ones((rows, windows), tf.bool)
    for k in range(size - 1):
        match &= history[:, k : k + windows] == previous[:, k : k + 1]
    match &= (tf.range(windows) <= length - size)[None]
    targets = history[:, size - 1 : size - 1 + windows]
    row_index = tf.broadcast_to(tf.range(rows)[:, None], (rows, windows))
    indices = tf.reshape(tf.stack([row_index, targets], axis=-1), (-1, 2))
    banned = tf.scatter_nd(indices, tf.reshape(tf.cast(match, tf.int32), (-1,)), scores.shape)
    return tf.where(banned > 0, tf.cast(-np.inf, scores.dtype), scores)


def _forced(scores: Any, token_ids: Any) -> Any:
    """Scores that allow only `token_ids` (0 for them, -inf elsewhere)."""
    allowed = tf.reduce_any(tf.range(scores.shape[-1])[:, None] == token_ids[None], axis=-1)
    return tf.where(allowed[None], tf.zeros_like(scores), tf.cast(-np.inf, scores.dtype))


def seq2seq_processor(settings: tuple) -> Any:
    """`process(scores, step, tokens, count)` for `settings` = `(start, eos, min_length,
    no_repeat_ngram_size, forced_bos, forced_eos)`; None when nothing applies."""
    start, eos, min_length, ngram, forced_bos, forced_eos = settings
    if not (ngram or (min_length > 0 and eos) or forced_bos is not None or forced_eos):
        return None
    eos_ids = tf.constant(eos or [-1], tf.int32)
    forced_eos_ids = tf.constant(forced_eos or [-1], tf.int32)

    def process(scores: Any, step: Any, tokens: Any, count: Any) -> Any:
        length = step + 1  # decoder ids so far: the start token and `step` new ones
        if ngram:
            first = tf.fill((tf.shape(tokens)[0], 1), start)
            history = tf.concat([first, tokens], axis=1)
            scores = ban_repeated_ngrams(scores, history, length, ngram)
        if min_length > 0 and eos:
            is_eos = tf.reduce_any(tf.range(scores.shape[-1])[:, None] == eos_ids[None], -1)
            block = tf.logical_and(length < min_length, is_eos)[None]
            scores = tf.where(block, tf.cast(-np.inf, scores.dtype), scores)
        if forced_bos is not None:
            forced = _forced(scores, tf.constant([forced_bos], tf.int32))
            scores = tf.where(step == 0, forced, scores)
        if forced_eos:
            scores = tf.where(step == count - 1, _forced(scores, forced_eos_ids), scores)
        return scores

    return process


class TFSeq2SeqGenerationMixin(TFGenerationMixin):
    """`generate` for Keras encoder-decoder heads (see the module docstring for the hooks)."""

    extra_supported = frozenset(
        {"min_length", "no_repeat_ngram_size", "forced_bos_token_id", "forced_eos_token_id"}
    )

    # ------------------------------------------------------------------ request
    def _decoder_start(self, config: GenerationConfig) -> int:
        for value in (
            config.decoder_start_token_id,
            getattr(self.config, "decoder_start_token_id", None),
            config.bos_token_id,
        ):
            if value is not None:
                return int(value[0] if isinstance(value, (list, tuple)) else value)
        raise GenerationError(
            "This encoder-decoder needs decoder_start_token_id (generation or model config) to "
            "start decoding: set it, e.g. generate(..., decoder_start_token_id=2)."
        )

    def _processor_settings(self, config: GenerationConfig) -> tuple:
        forced_eos = config.forced_eos_token_id
        return (
            self._decoder_start(config),
            tuple(_eos_list(config.eos_token_id)),
            int(config.min_length or 0),
            int(config.no_repeat_ngram_size or 0),
            None if config.forced_bos_token_id is None else int(config.forced_bos_token_id),
            tuple(_eos_list(forced_eos)) if forced_eos is not None else (),
        )

    def _logits_processor(self, settings: tuple) -> Any:
        return seq2seq_processor(settings)

    def _new_tokens(self, config: GenerationConfig, length: int) -> int:
        """New tokens after the start token: `max_new_tokens`, else `max_length - 1`."""
        new = config.max_new_tokens if config.max_new_tokens is not None else config.max_length - 1
        if new <= 0:
            raise GenerationError(
                f"max_length={config.max_length} leaves no room after the decoder start token: "
                "set max_new_tokens (or max_length >= 2)."
            )
        limit = self._decoder_limit()
        if limit is not None and new + 1 > limit:
            raise GenerationError(
                f"{new} new tokens after the start token exceed the decoder's "
                f"{limit} positions: lower max_new_tokens."
            )
        encoder_limit = self._encoder_limit()
        if encoder_limit is not None and length > encoder_limit:
            raise GenerationError(
                f"The input has {length} tokens but the encoder reads at most {encoder_limit}: "
                "truncate it."
            )
        return int(new)

    def _encoder_limit(self) -> int | None:
        return None

    def _decoder_limit(self) -> int | None:
        return None

    def _prompt_bucket(self, length: int) -> int:
        size = bucket(length, PROMPT_BUCKETS)
        limit = self._encoder_limit()
        return min(size, limit) if limit is not None else size

    def _pad_prompt(
        self, ids: np.ndarray, mask: np.ndarray, size: int, pad: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The source right-padded to `size` (masked; the encoder reads it bidirectionally)."""
        batch, length = ids.shape
        padded_ids = np.full((batch, size), pad, np.int32)
        padded_mask = np.zeros((batch, size), np.int32)
        padded_ids[:, :length] = ids
        padded_mask[:, :length] = mask
        return padded_ids, padded_mask

    def _sequences(self, ids: np.ndarray, generated: np.ndarray, config: Any) -> np.ndarray:
        """The decoder's sequences: the start token, then the new tokens (as the reference)."""
        start = np.full((generated.shape[0], 1), self._decoder_start(config), generated.dtype)
        return np.concatenate([start, generated], axis=1)

    # ------------------------------------------------------------------ loop hooks
    def _begin(
        self, ids: Any, mask: Any, expand: int, prompt: int, new: int, extra: tuple = ()
    ) -> tuple[Any, Any]:
        encoded = self.encode_source(ids, mask)
        if expand > 1:
            encoded = tf.repeat(encoded, expand, axis=0)
            mask = tf.repeat(mask, expand, axis=0)
        context = self.cross_context(encoded, mask)
        rows = tf.shape(encoded)[0]
        cache = self.init_cache(rows, 1 + new)
        start = tf.fill((rows, 1), tf.constant(extra[0], tf.int32))
        logits, cache = self.decode_step(start, 0, cache, context, 1 + new)
        return logits, (cache, context)

    def _advance(self, token: Any, step: Any, state: Any, prompt: int, new: int) -> tuple:
        cache, context = state
        logits, cache = self.decode_step(token[:, None], step + 1, cache, context, 1 + new)
        return logits, (cache, context)

    def _reorder(self, state: Any, rows: Any) -> Any:
        """Beams of one input share its encoder states: only the self-attention cache moves."""
        cache, context = state
        return (reorder_cache(cache, rows), context)
