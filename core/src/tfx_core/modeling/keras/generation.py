"""`TFGenerationMixin`: `generate` for Keras causal LMs, compiled with XLA over a static cache.

The whole decoding loop (prefill, then one token per step in a `tf.while_loop`) is one
`tf.function(jit_compile=True)`. Shapes are bucketed so it does not recompile per call: the
prompt is left-padded to the next bucket (masked, so the numbers are those of the unpadded
prompt) and the number of new tokens is rounded up (the loop stops at the requested count, or
once every sequence has produced EOS). Each compiled loop is kept per (batch, prompt bucket,
new-token bucket, decoding settings).

A model provides `init_cache(batch, max_length)` and `decode(input_ids, position_ids, bias,
cache, index) -> (logits of the last position, cache)`; positions follow the reference's rule
for padded prompts (count of real tokens before, so left padding changes nothing). The loops
reach the model only through the hooks `_begin` / `_advance` / `_reorder` / `_view`, which
encoder-decoders override (`seq2seq_generation.py`); the reference's logits processors
(repetition penalty, n-gram bans, bad words, minimum lengths, forced tokens) run inside the loop
(`processors.py`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from tfx_core.errors import GenerationError
from tfx_core.generation.config import DEFAULTS, GenerationConfig
from tfx_core.modeling.framework_common import GenerationConfigMixin
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.layers import causal_bias
from tfx_core.modeling.keras.processors import ProcessorSettings, StepView, logits_processor

#: Prompt lengths are padded up to one of these (then to multiples of the last).
PROMPT_BUCKETS = (8, 16, 32, 64, 128, 256, 512)
#: Numbers of new tokens are rounded up to one of these (the loop stops at the real count).
NEW_TOKEN_BUCKETS = (16, 32, 64, 128, 256, 512)
#: Supported settings; others raise rather than being silently ignored.
_SUPPORTED = {
    "max_length",
    "max_new_tokens",
    "do_sample",
    "num_beams",
    "temperature",
    "top_k",
    "top_p",
    "eos_token_id",
    "pad_token_id",
    "bos_token_id",
    "use_cache",
    "early_stopping",
    "length_penalty",
    "num_return_sequences",
    "return_dict_in_generate",
    "decoder_start_token_id",
    "transformers_version",
    "repetition_penalty",
    "no_repeat_ngram_size",
    "bad_words_ids",
    "min_length",
    "min_new_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
}


def bucket(length: int, buckets: tuple[int, ...] = PROMPT_BUCKETS) -> int:
    for size in buckets:
        if length <= size:
            return size
    step = buckets[-1]
    return -(-length // step) * step


def _eos_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def reorder_cache(cache: tuple, rows: Any) -> tuple:
    """Each layer's `(keys, values)` `[length, rows, ...]` for the rows `rows` (same shapes)."""
    return tuple(
        (
            tf.ensure_shape(tf.gather(k, rows, axis=1), k.shape),
            tf.ensure_shape(tf.gather(v, rows, axis=1), v.shape),
        )
        for k, v in cache
    )


def filter_logits(logits: Any, top_k: int, top_p: float) -> Any:
    """Keep the `top_k` best tokens, then the smallest set whose probability reaches `top_p`."""
    minimum = tf.cast(logits.dtype.min, logits.dtype)
    vocab = logits.shape[-1]
    if top_k and 0 < top_k < vocab:
        kth = tf.math.top_k(logits, k=top_k).values[:, -1:]
        logits = tf.where(logits < kth, minimum, logits)
    if top_p < 1.0:
        order = tf.argsort(logits, axis=-1, direction="DESCENDING")
        sorted_logits = tf.gather(logits, order, batch_dims=1)
        cumulative = tf.cumsum(tf.nn.softmax(sorted_logits, axis=-1), axis=-1)
        # drop a token when the tokens ranked above it already reach top_p (keep at least one)
        drop_sorted = (cumulative - tf.nn.softmax(sorted_logits, axis=-1)) >= top_p
        inverse = tf.argsort(order, axis=-1)
        drop = tf.gather(drop_sorted, inverse, batch_dims=1)
        logits = tf.where(drop, minimum, logits)
    return logits


class TFGenerationMixin(GenerationConfigMixin):
    """Adds `generate` (and `generation_config` persistence) to a Keras causal LM."""

    #: generation settings a subclass supports beyond `_SUPPORTED`
    extra_supported: frozenset[str] = frozenset()
    #: positions number every prompt column, padding included (the reference's BART-family
    #: causal LMs), rather than the real tokens only (GPT-2, BERT)
    positions_count_padding: bool = False

    # ------------------------------------------------------------------ request
    def _resolve(
        self, generation_config: GenerationConfig | None, kwargs: dict
    ) -> GenerationConfig:
        config = copy.deepcopy(generation_config or self.generation_config)
        for key, value in kwargs.items():
            if key not in DEFAULTS:
                raise GenerationError(f"generate() got an unknown argument {key!r}.")
            setattr(config, key, value)
        config.validate()
        unsupported = [
            key
            for key, value in config.to_diff_dict().items()
            if key in DEFAULTS
            and key not in _SUPPORTED | self.extra_supported
            and value != DEFAULTS[key]
        ]
        if unsupported:
            raise GenerationError(
                f"TF generate does not support {', '.join(sorted(unsupported))}; use the PyTorch "
                "model for these settings."
            )
        if config.num_beams > 1 and config.do_sample:
            raise GenerationError("TF generate supports beam search without sampling only.")
        return config

    def generate(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        generation_config: GenerationConfig | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Prompt + generated token ids `[batch, prompt + new]` (an int32 tf tensor).

        Greedy, sampling (`temperature`, `top_k`, `top_p`; `seed` makes it reproducible) and
        beam search (`num_beams`), compiled with XLA; EOS ends a sequence (then padded with
        `pad_token_id`, or the EOS id), and the loop ends when every sequence has ended.
        """
        if isinstance(input_ids, dict):
            attention_mask = input_ids.get("attention_mask", attention_mask)
            input_ids = input_ids.get("input_ids")
        config = self._resolve(generation_config, kwargs)
        ids = self._prompt(input_ids, config)
        batch, length = ids.shape
        eos = _eos_list(config.eos_token_id)
        pad = config.pad_token_id if config.pad_token_id is not None else (eos[0] if eos else 0)
        if attention_mask is not None:
            mask = np.asarray(attention_mask, dtype=np.int32).reshape(ids.shape)
        elif config.pad_token_id is not None and pad not in eos and (ids == pad).any():
            mask = (ids != pad).astype(np.int32)
        else:
            mask = np.ones_like(ids)
        new = self._new_tokens(config, length)
        returned = int(config.num_return_sequences or 1)
        beam = config.num_beams > 1
        if returned > (config.num_beams if beam else 1) and not (config.do_sample and not beam):
            raise GenerationError(
                f"num_return_sequences={returned} needs sampling, or num_beams >= {returned}."
            )
        if config.do_sample and returned > 1:  # each sample is its own row
            ids, mask = np.repeat(ids, returned, axis=0), np.repeat(mask, returned, axis=0)
            batch = ids.shape[0]
        prompt_bucket = self._prompt_bucket(length)
        new_bucket = bucket(new, NEW_TOKEN_BUCKETS)
        padded_ids, padded_mask = self._pad_prompt(ids, mask, prompt_bucket, pad)
        sampling = bool(config.do_sample)
        settings = (
            sampling,
            int(config.num_beams),
            float(config.temperature) if sampling else 1.0,
            int(config.top_k or 0) if sampling else 0,
            float(config.top_p) if sampling else 1.0,
            tuple(eos),
            int(pad),
            float(config.length_penalty),
            config.early_stopping
            if config.early_stopping == "never"
            else bool(config.early_stopping),
            returned,
            self._processor_settings(config),
        )
        loop = self._compiled_loop(batch, prompt_bucket, new_bucket, settings)
        seed_pair = np.array([0, seed if seed is not None else np.random.randint(2**31)], np.int32)
        tokens, steps = loop(
            tf.constant(padded_ids),
            tf.constant(padded_mask),
            tf.constant(new),
            seed_pair,
            tf.constant(length),
        )
        steps = int(steps)
        generated = tokens.numpy()[:, :steps]
        if beam and returned > 1:
            ids = np.repeat(ids, returned, axis=0)
        return tf.constant(self._sequences(ids, generated, config))

    # ------------------------------------------------------------------ hooks
    # Decoder-only defaults; `seq2seq_generation.TFSeq2SeqGenerationMixin` overrides them.
    def _pad_prompt(
        self, ids: np.ndarray, mask: np.ndarray, size: int, pad: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The prompt left-padded to `size` (masked: positions count real tokens only)."""
        batch, length = ids.shape
        padded_ids = np.full((batch, size), pad, np.int32)
        padded_mask = np.zeros((batch, size), np.int32)
        padded_ids[:, size - length :] = ids
        padded_mask[:, size - length :] = mask
        return padded_ids, padded_mask

    def _sequences(self, ids: np.ndarray, generated: np.ndarray, config: Any) -> np.ndarray:
        """What `generate` returns: the prompt followed by the new tokens."""
        return np.concatenate([ids, generated], axis=1)

    def _processor_settings(self, config: GenerationConfig) -> ProcessorSettings:
        """The logits processors `config` asks for (hashable: part of the loop's key)."""
        eos = tuple(_eos_list(config.eos_token_id))
        vocab = self.config.vocab_size
        words = tuple(tuple(int(t) for t in word) for word in config.bad_words_ids or ())
        if any(t >= vocab for word in words for t in word):
            raise GenerationError(
                f"bad_words_ids name tokens outside the vocabulary [0, {vocab}): {list(words)}."
            )
        forced_eos = config.forced_eos_token_id
        return ProcessorSettings(
            eos=eos,
            repetition_penalty=float(config.repetition_penalty or 1.0),
            no_repeat_ngram_size=int(config.no_repeat_ngram_size or 0),
            encoder_no_repeat_ngram_size=int(config.encoder_no_repeat_ngram_size or 0),
            bad_words=tuple(w for w in words if not (len(w) == 1 and w[0] in eos)),
            min_length=int(config.min_length or 0),
            min_new_tokens=int(config.min_new_tokens or 0),
            forced_bos=None
            if config.forced_bos_token_id is None
            else int(config.forced_bos_token_id),
            forced_eos=tuple(_eos_list(forced_eos)),
        )

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
        """The processors' view of one step: the prompt (left-padded to `prompt` columns, the
        user's `length` of them at the end) followed by the new tokens."""
        history = tf.concat([prompt_ids, tokens], axis=1)
        return StepView(step, count, history, prompt + step, prompt - length)

    def _prompt_bucket(self, length: int) -> int:
        return bucket(length)

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
        """Logits of the first new token for each prompt repeated `expand` times (beams),
        and the decoding state: `(cache, mask over prompt + new positions, next positions)`.
        `length` is the user's prompt length (the last `length` of the `prompt` columns)."""
        if expand > 1:
            ids, mask = tf.repeat(ids, expand, axis=0), tf.repeat(mask, expand, axis=0)
        batch = tf.shape(ids)[0]
        total = prompt + new
        full_mask = tf.concat([mask, tf.ones((batch, new), mask.dtype)], axis=1)
        if self.positions_count_padding:  # the user's padding takes positions, ours does not
            positions = tf.maximum(tf.range(prompt) - (prompt - length), 0)[None]
            real = tf.fill((batch,), length)
        else:
            positions = tf.maximum(tf.cumsum(mask, axis=1) - 1, 0)
            real = tf.reduce_sum(mask, axis=1)  # real prompt tokens per row
        cache = self.init_cache(batch, total)
        bias = causal_bias(prompt, total, 0, full_mask, self._compute_dtype())
        logits, cache = self.decode(ids, positions, bias, cache, 0)
        return logits, (cache, full_mask, real)

    def _advance(self, token: Any, step: Any, state: Any, prompt: int, new: int) -> tuple:
        """Logits after feeding `token` (`[rows]`), the `step`-th new token, and the state."""
        cache, full_mask, real = state
        index = prompt + step
        bias = causal_bias(1, prompt + new, index, full_mask, self._compute_dtype())
        position = (real + step)[:, None]
        logits, cache = self.decode(token[:, None], position, bias, cache, index)
        return logits, (cache, full_mask, real)

    def _reorder(self, state: Any, rows: Any) -> Any:
        """The state of the rows `rows` (beam search keeps the surviving beams' caches)."""
        cache, full_mask, real = state
        return (reorder_cache(cache, rows), full_mask, real)

    def _prompt(self, input_ids: Any, config: GenerationConfig) -> np.ndarray:
        if input_ids is None:
            if config.bos_token_id is None:
                raise GenerationError("generate() needs input_ids, or a bos_token_id.")
            return np.full((1, 1), config.bos_token_id, np.int32)
        ids = np.asarray(input_ids)
        if ids.ndim == 1:
            ids = ids[None]
        if ids.ndim != 2 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
            raise GenerationError(
                f"input_ids must be a non-empty integer array [batch, length], got {ids.dtype} "
                f"of shape {ids.shape}."
            )
        vocab = self.config.vocab_size
        if (ids < 0).any() or (ids >= vocab).any():
            raise GenerationError(
                f"input_ids contain ids outside the vocabulary [0, {vocab}): check the tokenizer "
                "matches the model."
            )
        return ids.astype(np.int32)

    def _new_tokens(self, config: GenerationConfig, length: int) -> int:
        if config.max_new_tokens is not None:
            new = config.max_new_tokens
        else:
            new = config.max_length - length
        context = self._context_length()
        if new <= 0:
            raise GenerationError(
                f"The prompt has {length} tokens but max_length is {config.max_length}: set "
                "max_new_tokens (or a larger max_length)."
            )
        if context is not None and length + new > context:
            raise GenerationError(
                f"The prompt ({length} tokens) plus {new} new tokens exceed the model's context "
                f"of {context} positions: lower max_new_tokens or shorten the prompt."
            )
        return int(new)

    def _context_length(self) -> int | None:
        return None

    # ------------------------------------------------------------------ compiled loop
    def _compiled_loop(self, batch: int, prompt: int, new: int, settings: tuple) -> Any:
        loops = self.__dict__.setdefault("_xla_loops", {})
        key = (batch, prompt, new, settings)
        if key not in loops:
            if settings[1] > 1:
                from tfx_core.modeling.keras.beam import beam_loop

                body = beam_loop(self, prompt, new, settings)
            else:
                body = self._sample_loop(prompt, new, settings)
            loops[key] = tf.function(body, jit_compile=True, reduce_retracing=False)
        return loops[key]

    def _sample_loop(self, prompt: int, new: int, settings: tuple) -> Any:
        do_sample, _, temperature, top_k, top_p, eos, pad = settings[:7]
        eos_ids = tf.constant(eos or [-1], tf.int32)

        def choose(logits: Any, seed: Any, step: Any) -> Any:
            logits = tf.cast(logits, tf.float32)
            if not do_sample:
                return tf.argmax(logits, axis=-1, output_type=tf.int32)
            if temperature != 1.0:
                logits = logits / temperature
            logits = filter_logits(logits, top_k, top_p)
            pick = tf.random.stateless_categorical(logits, 1, seed + tf.stack([step, 0]))
            return tf.cast(pick[:, 0], tf.int32)

        process = logits_processor(settings[10])

        def loop(ids: Any, mask: Any, count: Any, seed: Any, length: Any) -> tuple[Any, Any]:
            batch = tf.shape(ids)[0]
            logits, state = self._begin(ids, mask, 1, prompt, new, settings[10], length)
            tokens = tf.fill((batch, new), pad)
            done = tf.zeros((batch,), tf.bool)

            def body(step: Any, logits: Any, state: Any, tokens: Any, done: Any):
                if process is not None:
                    view = self._view(ids, tokens, step, count, length, prompt, settings[10])
                    logits = process(tf.cast(logits, tf.float32), view)
                token = choose(logits, seed, step)
                token = tf.where(done, pad, token)
                tokens = tf.tensor_scatter_nd_update(tf.transpose(tokens), [[step]], token[None])
                tokens = tf.transpose(tokens)
                done = tf.logical_or(done, tf.reduce_any(token[:, None] == eos_ids[None], -1))
                logits, state = self._advance(token, step, state, prompt, new)
                return step + 1, logits, state, tokens, done

            def cond(step: Any, logits: Any, state: Any, tokens: Any, done: Any):
                return tf.logical_and(step < count, tf.logical_not(tf.reduce_all(done)))

            step, _, _, tokens, _ = tf.while_loop(
                cond, body, (tf.constant(0), logits, state, tokens, done)
            )
            return tokens, step

        return loop

    def _compute_dtype(self) -> Any:
        return tf.as_dtype(self.compute_dtype)
