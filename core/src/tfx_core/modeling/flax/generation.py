"""`generate` for Flax models: one `jax.jit` program per shape, a `lax.while_loop` inside.

Streaming (`streamer=`, batch 1, no beams): the same jitted loop, compiled with one ordered
host callback (`jax.experimental.io_callback`) per step that hands the new token to
`streamer.put` as soon as it is chosen; the prompt is put first and `streamer.end()` called
after the loop, as the reference does. Streaming calls run one at a time per process.

Prompts are left-padded up to a length bucket (powers of two from 16), so prompts of different
lengths reuse one compiled program; the KV cache is preallocated for bucket + max_new_tokens
and written in place. Greedy, sampling (temperature, top-k, top-p with `jax.random` keys) and
beam search follow the reference's rules (same processors, same stopping, finished rows filled
with the pad id), so greedy and beam ids equal the PyTorch reference's. The programs are in
`generation_programs.py`; encoder-decoders add their source in `seq2seq_generation.py`.

Models implement two hooks: `_init_cache(batch, max_length)` (None: no cache, each step
recomputes the whole buffer) and `_decode_step(input_ids, position_ids, key_mask, cache, index)`
-> (last-position logits `[batch, vocab]`, cache). `use_cache=False` skips the cache: each step
runs `_recompute_step` over the whole buffer (same ids, more work), as the reference does. The defaults serve every causal LM whose base
model (at `base_model_prefix`) has `init_cache(batch, max_length)` and takes `cache=` /
`cache_index=` (GPT-2, causal BERT / RoBERTa): the cache comes from the base model and each step
runs the head with `logits_to_keep=1`.
"""

from __future__ import annotations

import copy
import json
import threading
import weakref
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.errors import GenerationError
from tfx_core.generation.config import DEFAULTS, GenerationConfig
from tfx_core.modeling.flax.generation_programs import (
    ACTIVE_STREAMER,
    beam_program,
    mask_positions,
    prompt_bucket,
    sample_program,
    trace_count,
)
from tfx_core.modeling.framework_common import GenerationConfigMixin

Array = jax.Array
_COMPILED: dict[tuple, Any] = {}  # settings -> compiled program, oldest first
_PROGRAMS_KEPT = 32
_STREAMING = threading.Lock()  # one streaming generate at a time (one active streamer)
_UNSUPPORTED = (
    "suppress_tokens",
    "begin_suppress_tokens",
    "sequence_bias",
    "guidance_scale",
    "stop_strings",
    "min_p",
    "output_scores",
    "output_logits",
)
__all__ = ["FlaxGenerationMixin", "prompt_bucket", "trace_count"]


# ------------------------------------------------------------------------ the mixin
class FlaxGenerationMixin(GenerationConfigMixin):
    """Adds `generate` and `generation_config` persistence to a Flax causal-LM model."""

    def _stored_generation_config(self) -> GenerationConfig | None:
        return _GENERATION_CONFIGS.get(self)  # not an attribute: nnx would treat it as state

    def _store_generation_config(self, value: GenerationConfig) -> None:
        _GENERATION_CONFIGS[self] = value

    # ------------------------------------------------------------ model hooks
    def _init_cache(self, batch: int, max_length: int) -> Any:
        """A preallocated cache for `max_length` positions (the base model's `init_cache`), or
        None (recompute each step)."""
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        init = getattr(base, "init_cache", None)
        return init(batch, max_length) if callable(init) else None

    def _generation_cache(self, batch: int, max_length: int, context: Any) -> Any:
        """The cache a program starts from; `context` is what `_launch` was given (None for a
        causal LM; an encoder-decoder's source, encoded here, inside the program)."""
        return self._init_cache(batch, max_length)

    def _generation_positions(self, key_mask: Array, offset: Array) -> Array:
        """Position ids `[batch, max_length]` for the buffer's columns (`offset`: the bucket's
        left padding): the reference's cumsum of the attention mask, 1 on padding."""
        return mask_positions(key_mask)

    def _recompute_context(self, batch: int, context: Any) -> Any:
        """What each full recompute reads besides the buffer (None for a causal LM; an
        encoder-decoder's encoded source)."""
        return None

    def _recompute_step(
        self, input_ids: Array, position_ids: Array, key_mask: Array, context: Any, index: Array
    ) -> Array:
        """Run the whole buffer (no cache) and return the logits `[batch, vocab]` at `index`."""
        out = self(
            input_ids=input_ids,
            attention_mask=key_mask,
            position_ids=position_ids,
            return_dict=True,
        )
        return jax.lax.dynamic_index_in_dim(out.logits, index, axis=1, keepdims=False)

    def _decode_step(
        self, input_ids: Array, position_ids: Array, key_mask: Array, cache: Any, index: Array
    ) -> tuple[Array, Any]:
        """With a cache: run the new tokens, written at `index`, and return the last one's
        logits and the cache. Without: `_recompute_step` (the logits at `index`) and None."""
        if cache is None:
            return self._recompute_step(input_ids, position_ids, key_mask, None, index), None
        out = self(
            input_ids=input_ids,
            attention_mask=key_mask,
            position_ids=position_ids,
            cache=cache,
            cache_index=index,
            logits_to_keep=1,
            return_dict=True,
        )
        return out.logits[:, -1], out.past_key_values

    # ------------------------------------------------------------ generate
    def generate(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        generation_config: GenerationConfig | None = None,
        *,
        prng_key: Array | None = None,
        seed: int | None = None,
        streamer: Any = None,
        **kwargs: Any,
    ) -> Array:
        """Token ids `[batch * num_return_sequences, length]` (prompt included) for left-padded
        prompts. Keyword arguments are `GenerationConfig` fields; sampling draws from
        `prng_key` (or `jax.random.key(seed)`, default seed 0); `streamer` (`put` / `end`,
        e.g. `tfx_core.TextStreamer`) receives each token as it is chosen."""
        config = self._generation_settings(generation_config, kwargs)
        ids, mask = self._prompt(input_ids, attention_mask, config)
        prompt = ids.shape[1]
        max_new = self._max_new_tokens(config, kwargs, prompt)
        bucket = prompt_bucket(prompt)
        context = getattr(self.config, "max_position_embeddings", None)
        if context is not None and bucket + max_new > context:
            bucket = max(prompt, context - max_new)
        key = prng_key if prng_key is not None else jax.random.key(0 if seed is None else seed)
        return self._launch(ids, mask, config, bucket, max_new, key, streamer=streamer)

    def _launch(
        self,
        ids: np.ndarray,
        mask: np.ndarray,
        config: GenerationConfig,
        bucket: int,
        max_new: int,
        key: Array,
        context: Any = None,
        streamer: Any = None,
    ) -> Array:
        """Left-pad the prompts to `bucket`, expand them for beams / samples, run the program;
        the sequences without the padding."""
        batch, prompt = ids.shape
        _check_streamer(streamer, batch, config)
        eos = _eos_list(config.eos_token_id)
        pad = config.pad_token_id if config.pad_token_id is not None else (eos[0] if eos else 0)
        offset = bucket - prompt
        ids = np.concatenate([np.full((batch, offset), pad, np.int32), ids], axis=1)
        mask = np.concatenate([np.zeros((batch, offset), np.int32), mask], axis=1)
        beams = config.num_beams
        expand = max(beams, config.num_return_sequences)
        if expand > 1:
            ids, mask = np.repeat(ids, expand, axis=0), np.repeat(mask, expand, axis=0)
        forced_eos = _eos_list(config.forced_eos_token_id)
        settings = {
            "bucket": bucket,
            "total": bucket + max_new,
            "pad": int(pad),
            "eos": tuple(eos),
            "do_sample": bool(config.do_sample),
            "top_k": int(config.top_k or 0) if config.do_sample else 0,
            "use_top_p": bool(config.do_sample and config.top_p is not None and config.top_p < 1.0),
            "repetition_penalty": float(config.repetition_penalty or 1.0),
            "min_length": int(config.min_length or 0),
            "no_repeat_ngram_size": int(config.no_repeat_ngram_size or 0),
            "forced_bos": None
            if config.forced_bos_token_id is None
            else int(config.forced_bos_token_id),
            "forced_eos": tuple(forced_eos),
            "num_beams": beams,
            "num_return_sequences": int(config.num_return_sequences),
            "length_penalty": float(config.length_penalty),
            "early_stopping": config.early_stopping,
            "bad_words": _bad_words(
                config.bad_words_ids, eos, getattr(self.config, "vocab_size", None)
            ),
            "stream": streamer is not None,
            "use_cache": config.use_cache is not False,
        }
        program = self._program(settings, ids.shape[0])
        _, state = nnx.split(self)
        args = (
            state,
            jnp.asarray(ids),
            jnp.asarray(mask),
            key,
            jnp.float32(config.temperature or 1.0),
            jnp.float32(config.top_p if config.top_p is not None else 1.0),
            jnp.int32(offset),
            context,
        )
        if streamer is not None:
            return self._stream(program, args, ids[:, offset:], streamer)[:, offset:]
        if beams > 1:
            finished, _, cur = program(*args)
            out = finished.reshape(batch * config.num_return_sequences, -1)
        else:
            out, cur = program(*args)
        return out[:, offset : int(cur)]

    @staticmethod
    def _stream(program: Any, args: tuple, prompt: np.ndarray, streamer: Any) -> Array:
        """Run a streaming program: the prompt first, each token from inside the loop, `end()`."""
        with _STREAMING:
            streamer.put(prompt)
            ACTIVE_STREAMER["streamer"] = streamer
            try:
                out, cur = jax.block_until_ready(program(*args))
                jax.effects_barrier()  # every ordered callback has run
            finally:
                ACTIVE_STREAMER["streamer"] = None
            streamer.end()
        return out[:, : int(cur)]

    def _program(self, settings: dict[str, Any], rows: int):
        """The compiled program for these settings, shared by every model of the same class,
        config and dtype (a reloaded model or a second pipeline does not compile again)."""
        config = json.dumps(self.config.to_dict(), sort_keys=True, default=str)
        key = (
            type(self),
            config,
            str(self.param_dtype),
            rows,
            *sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in settings.items()),
        )
        program = _COMPILED.get(key)
        if program is None:
            graphdef, _ = nnx.split(self)
            build = beam_program if settings["num_beams"] > 1 else sample_program
            program = build(graphdef, settings)
            if len(_COMPILED) >= _PROGRAMS_KEPT:
                _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = _COMPILED.pop(key, program)  # most recently used last
        return program

    def _generation_settings(
        self, generation_config: GenerationConfig | None, kwargs: dict[str, Any]
    ) -> GenerationConfig:
        config = copy.deepcopy(generation_config or self.generation_config)
        unknown = [key for key in kwargs if key not in DEFAULTS]
        if unknown:
            raise GenerationError(
                f"generate() got unexpected arguments: {', '.join(sorted(unknown))}. They are "
                "not GenerationConfig fields (check the spelling)."
            )
        for key, value in kwargs.items():
            setattr(config, key, value)
        config.validate()
        for name in _UNSUPPORTED:
            value = getattr(config, name, None)
            if value not in (None, False, 0, DEFAULTS.get(name)):
                raise GenerationError(
                    f"The Flax generate does not support {name}={value!r} yet; use the PyTorch "
                    "model for it, or leave it at its default."
                )
        if config.num_return_sequences > max(1, config.num_beams) and not config.do_sample:
            raise GenerationError(
                "num_return_sequences > num_beams needs do_sample=True (greedy rows would repeat)."
            )
        return config

    def _prompt(self, input_ids: Any, attention_mask: Any, config: GenerationConfig):
        if input_ids is None:
            if config.bos_token_id is None:
                raise GenerationError(
                    "generate() needs input_ids, or a bos_token_id to start from."
                )
            input_ids = [[config.bos_token_id]]
        ids = np.asarray(input_ids)
        if ids.ndim == 1:
            ids = ids[None]
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or ids.size == 0:
            raise GenerationError(
                f"input_ids must be a non-empty integer array [batch, length], got {ids.dtype} "
                f"of shape {ids.shape}."
            )
        vocab = getattr(self.config, "vocab_size", None)
        if vocab is not None and (ids.min() < 0 or ids.max() >= vocab):
            raise GenerationError(
                f"input_ids contain ids outside the vocabulary [0, {vocab}). Check the tokenizer "
                "matches the model."
            )
        if attention_mask is None:
            mask = np.ones_like(ids)
        else:
            mask = np.asarray(attention_mask)
            mask = mask[None] if mask.ndim == 1 else mask
            if mask.shape != ids.shape:
                raise GenerationError(
                    f"attention_mask must be shaped like input_ids {ids.shape}, got {mask.shape}."
                )
        return ids.astype(np.int32), mask.astype(np.int32)

    def _max_new_tokens(self, config: GenerationConfig, kwargs: dict[str, Any], prompt: int) -> int:
        if config.max_new_tokens is not None:
            max_length = prompt + config.max_new_tokens
        elif kwargs.get("max_length") is None and config.max_length == DEFAULTS["max_length"]:
            max_length = prompt + DEFAULTS["max_length"]
        else:
            max_length = config.max_length
        context = getattr(self.config, "max_position_embeddings", None)
        if context is not None:
            max_length = min(max_length, context) if config.max_new_tokens is None else max_length
            if max_length > context:
                raise GenerationError(
                    f"The prompt ({prompt} tokens) plus the tokens to generate exceed the "
                    f"model's context of {context} positions: lower max_new_tokens or shorten "
                    "the prompt."
                )
        if config.min_new_tokens is not None:
            config.min_length = prompt + config.min_new_tokens
        if max_length <= prompt:
            raise GenerationError(
                f"The prompt has {prompt} tokens but max_length is {max_length}, so nothing can "
                "be generated: set max_new_tokens (or a larger max_length)."
            )
        return max_length - prompt


_GENERATION_CONFIGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _check_streamer(streamer: Any, batch: int, config: GenerationConfig) -> None:
    if streamer is None:
        return
    if not all(callable(getattr(streamer, name, None)) for name in ("put", "end")):
        raise GenerationError(
            f"streamer must have put() and end() methods (e.g. tfx_core.TextStreamer), got "
            f"{streamer!r}."
        )
    if batch != 1 or config.num_beams > 1 or config.num_return_sequences > 1:
        raise GenerationError(
            "Streaming takes one sequence: batch 1, num_beams=1, num_return_sequences=1 (as in "
            "the reference)."
        )


def _bad_words(sequences: Any, eos: list[int], vocab: int | None) -> tuple[tuple[int, ...], ...]:
    """`bad_words_ids` as a static tuple of token tuples (a lone EOS is not banned, as in the
    reference); checked: non-empty lists of ids inside the vocabulary."""
    if not sequences:
        return ()
    if not isinstance(sequences, (list, tuple)) or not all(
        isinstance(s, (list, tuple)) and s and all(isinstance(t, (int, np.integer)) for t in s)
        for s in sequences
    ):
        raise GenerationError(
            f"bad_words_ids must be a list of non-empty lists of token ids, got {sequences!r}."
        )
    found = tuple(tuple(int(t) for t in s) for s in sequences if list(s) not in ([e] for e in eos))
    if any(t < 0 or (vocab is not None and t >= vocab) for s in found for t in s):
        raise GenerationError(
            f"bad_words_ids hold ids outside the vocabulary [0, {vocab}): check the tokenizer."
        )
    return found


def _eos_list(eos: Any) -> list[int]:
    if eos is None:
        return []
    return [int(eos)] if isinstance(eos, (int, np.integer)) else [int(i) for i in eos]
