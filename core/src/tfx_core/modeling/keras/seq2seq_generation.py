"""`generate` for Keras encoder-decoders: the XLA loops of `generation.py` over a seq2seq state.

Inside the one compiled function: the encoder runs once on the (right-padded, bucketed) source,
its states are repeated per beam, every decoder layer's cross-attention keys/values are
projected once, and the decoder steps one token at a time over a static self-attention cache
that starts with `decoder_start_token_id`. Greedy, sampling and beam search are the loops of
`generation.py` / `beam.py`; this module supplies their hooks (`_begin`, `_advance`,
`_reorder`, `_view`: the processors see the decoder's ids, start token first, and the source
for `encoder_no_repeat_ngram_size`).

A model provides `init_cache(rows, length)` and `lm_logits(hidden)`; `encode_source(ids, mask)`,
`cross_context(encoder_states, mask)` and `decode_step(ids, index, cache, context, length)`
default to running the stacks `seq2seq_stacks()` names (a `DecoderStackMixin` decoder).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.generation import (
    PROMPT_BUCKETS,
    TFGenerationMixin,
    bucket,
    reorder_cache,
)
from tfx_core.modeling.keras.layers import padding_bias
from tfx_core.modeling.keras.processors import ProcessorSettings, StepView

__all__ = ["TFSeq2SeqGenerationMixin"]


class TFSeq2SeqGenerationMixin(TFGenerationMixin):
    """`generate` for Keras encoder-decoder heads (see the module docstring for the hooks)."""

    extra_supported = frozenset({"encoder_no_repeat_ngram_size"})

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

    def _processor_settings(self, config: GenerationConfig) -> ProcessorSettings:
        settings = super()._processor_settings(config)
        return replace(settings, start=self._decoder_start(config))

    def _view(
        self,
        prompt_ids: Any,
        tokens: Any,
        step: Any,
        count: Any,
        length: Any,
        prompt: int,
        settings: ProcessorSettings,
    ) -> StepView:
        """The decoder's ids (start token, new tokens) and the right-padded source."""
        first = tf.fill((tf.shape(tokens)[0], 1), tf.constant(settings.start, tf.int32))
        history = tf.concat([first, tokens], axis=1)
        return StepView(step, count, history, step + 1, 0, prompt_ids, length)

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

    # ------------------------------------------------------------------ model hooks
    def seq2seq_stacks(self) -> tuple[Any, Any]:
        """The encoder and the decoder stack the default hooks run."""
        return self.encoder, self.decoder

    def encode_source(self, ids: Any, mask: Any) -> Any:
        return self.seq2seq_stacks()[0](ids, attention_mask=mask).last_hidden_state

    def cross_context(self, encoded: Any, mask: Any) -> tuple[Any, Any]:
        dtype = tf.as_dtype(self.compute_dtype)
        return self.seq2seq_stacks()[1].cross_keys_values(encoded), padding_bias(mask, dtype)

    def decode_step(
        self, ids: Any, index: Any, cache: tuple, context: Any, length: int
    ) -> tuple[Any, tuple]:
        """Logits of the last of `ids` (at positions `index...`) and the updated cache."""
        cross, cross_bias = context
        decoder = self.seq2seq_stacks()[1]
        dtype = tf.as_dtype(self.compute_dtype)
        bias = decoder.attention_bias(tf.shape(ids)[1], length, index, None, dtype)
        hidden, cache = decoder.run(ids, bias, cross, cross_bias, cache, index)
        return self.lm_logits(hidden[:, -1]), cache

    # ------------------------------------------------------------------ loop hooks
    def _begin(
        self,
        ids: Any,
        mask: Any,
        expand: int,
        prompt: int,
        new: int,
        extra: Any = None,
        length: Any = None,
    ) -> tuple[Any, Any]:
        encoded = self.encode_source(ids, mask)
        if expand > 1:
            encoded = tf.repeat(encoded, expand, axis=0)
            mask = tf.repeat(mask, expand, axis=0)
        context = self.cross_context(encoded, mask)
        rows = tf.shape(encoded)[0]
        cache = self.init_cache(rows, 1 + new)
        start = tf.fill((rows, 1), tf.constant(extra.start, tf.int32))
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
