"""`generate` for Flax causal LMs: one `jax.jit` program per shape, a `lax.while_loop` inside.

Prompts are left-padded up to a length bucket (powers of two from 16), so prompts of different
lengths reuse one compiled program; the KV cache is preallocated for bucket + max_new_tokens
and written in place. Greedy, sampling (temperature, top-k, top-p with `jax.random` keys) and
beam search follow the reference's rules (same processors, same stopping, finished rows filled
with the pad id), so greedy and beam ids equal the PyTorch reference's.

Models implement two hooks: `_init_cache(batch, max_length)` (None: no cache, each step
recomputes the whole buffer) and `_decode_step(input_ids, position_ids, key_mask, cache, index)`
-> (last-position logits `[batch, vocab]`, cache).
"""

from __future__ import annotations

import copy
import weakref
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.errors import GenerationError
from tfx_core.generation.config import DEFAULTS, GENERATION_CONFIG_NAME, GenerationConfig

Array = jax.Array
NEG = -1.0e9
_TRACES = {"count": 0}
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_UNSUPPORTED = (
    "no_repeat_ngram_size",
    "bad_words_ids",
    "suppress_tokens",
    "begin_suppress_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "sequence_bias",
    "guidance_scale",
    "stop_strings",
    "min_p",
    "output_scores",
    "output_logits",
)


def trace_count() -> int:
    """How many generation programs have been traced (compiled) in this process."""
    return _TRACES["count"]


def prompt_bucket(length: int, minimum: int = 16) -> int:
    """The padded prompt length: the next power of two, at least `minimum`."""
    bucket = minimum
    while bucket < length:
        bucket *= 2
    return bucket


# ------------------------------------------------------------------------ logits processing
def _processed(scores: Array, seen: Array, length: Array, p: dict[str, Any]) -> Array:
    """Repetition penalty and minimum length (the reference's order), on float32 scores."""
    if p["repetition_penalty"] != 1.0:
        penalty = p["repetition_penalty"]
        rows = jnp.arange(scores.shape[0])[:, None]
        gathered = jnp.take_along_axis(scores, seen, axis=1)
        updated = jnp.where(gathered < 0, gathered * penalty, gathered / penalty)
        valid = seen >= 0
        target = jnp.where(valid, seen, scores.shape[1])  # out of range: dropped
        scores = scores.at[rows, target].set(jnp.where(valid, updated, 0.0), mode="drop")
    if p["min_length"] > 0 and p["eos"]:
        block = length < p["min_length"]
        eos = jnp.asarray(p["eos"])
        scores = scores.at[:, eos].set(jnp.where(block, -jnp.inf, scores[:, eos]))
    return scores


def _warped(scores: Array, p: dict[str, Any], temperature: Array, top_p: Array) -> Array:
    """Temperature, top-k, top-p (the reference's warper order)."""
    scores = scores / temperature
    if p["top_k"] > 0:
        k = min(p["top_k"], scores.shape[-1])
        kth = jax.lax.top_k(scores, k)[0][:, -1:]
        scores = jnp.where(scores < kth, -jnp.inf, scores)
    if p["use_top_p"]:
        order = jnp.argsort(scores, axis=-1)  # ascending, like the reference
        sorted_scores = jnp.take_along_axis(scores, order, axis=-1)
        cumulative = jnp.cumsum(jax.nn.softmax(sorted_scores, axis=-1), axis=-1)
        remove = cumulative <= 1 - top_p
        remove = remove.at[:, -1].set(False)  # keep at least one token
        drop = jnp.zeros_like(remove).at[jnp.arange(scores.shape[0])[:, None], order].set(remove)
        scores = jnp.where(drop, -jnp.inf, scores)
    return scores


def _seen_tokens(buffer: Array, offset: int, cur: Array) -> Array:
    """Token ids of the real sequence so far (-1 elsewhere), for the repetition penalty."""
    columns = jnp.arange(buffer.shape[1])
    return jnp.where((columns >= offset) & (columns < cur), buffer, -1)


# ------------------------------------------------------------------------ decoding programs
def _step(model: Any, ids: Array, positions: Array, mask: Array, cache: Any, cur: Array):
    """Logits for the token at column `cur - 1` (the last one written)."""
    if cache is None:  # recompute the whole buffer; causal masking hides what follows
        logits, _ = model._decode_step(ids, positions, mask, None, cur - 1)
        return logits, None
    column = jax.lax.dynamic_slice_in_dim(ids, cur - 1, 1, axis=1)
    position = jax.lax.dynamic_slice_in_dim(positions, cur - 1, 1, axis=1)
    return model._decode_step(column, position, mask, cache, cur - 1)


def _prefill(model: Any, ids: Array, positions: Array, mask: Array, cache: Any, bucket: int):
    if cache is None:
        return model._decode_step(ids, positions, mask, None, bucket - 1)[0], None
    return model._decode_step(ids[:, :bucket], positions[:, :bucket], mask, cache, 0)


def _positions(mask: Array) -> Array:
    """The reference's position ids for padded rows: cumsum(mask) - 1, 1 on padding."""
    positions = jnp.cumsum(mask, axis=-1) - 1
    return jnp.where(mask == 0, 1, positions)


def _sample_program(graphdef: Any, p: dict[str, Any]):
    bucket, total, pad, eos = p["bucket"], p["total"], p["pad"], p["eos"]

    def run(state, ids, mask, key, temperature, top_p, offset):
        _TRACES["count"] += 1
        model = nnx.merge(graphdef, state)
        model.eval()  # no dropout while generating, whatever mode the caller's model is in
        batch = ids.shape[0]
        buffer = jnp.full((batch, total), pad, jnp.int32).at[:, :bucket].set(ids)
        keys = jnp.zeros((batch, total), jnp.int32).at[:, :bucket].set(mask)
        positions = _positions(keys)
        cache = model._init_cache(batch, total)
        logits, cache = _prefill(model, buffer, positions, keys, cache, bucket)

        def cond(carry):
            cur, _, _, _, _, unfinished, _ = carry
            return (cur < total) & jnp.any(unfinished)

        def body(carry):
            cur, buffer, keys, cache, logits, unfinished, key = carry
            scores = logits.astype(jnp.float32)
            scores = _processed(scores, _seen_tokens(buffer, offset, cur), cur - offset, p)
            if p["do_sample"]:
                key, sub = jax.random.split(key)
                token = jax.random.categorical(sub, _warped(scores, p, temperature, top_p))
            else:
                token = jnp.argmax(scores, axis=-1)
            token = jnp.where(unfinished, token, pad).astype(jnp.int32)
            buffer = jax.lax.dynamic_update_slice_in_dim(buffer, token[:, None], cur, axis=1)
            keys = jax.lax.dynamic_update_slice_in_dim(
                keys, jnp.ones((batch, 1), jnp.int32), cur, axis=1
            )
            if eos:
                unfinished = unfinished & ~jnp.isin(token, jnp.asarray(eos))
            positions = _positions(keys)
            logits, cache = _step(model, buffer, positions, keys, cache, cur + 1)
            return cur + 1, buffer, keys, cache, logits, unfinished, key

        start = (jnp.int32(bucket), buffer, keys, cache, logits, jnp.ones(batch, bool), key)
        cur, buffer, *_ = jax.lax.while_loop(cond, body, start)
        return buffer, cur

    return jax.jit(run)


def _gather(tree: Any, index: Array) -> Any:
    return jax.tree.map(lambda x: x[index], tree)


def _beam_program(graphdef: Any, p: dict[str, Any]):
    bucket, total, pad, eos = p["bucket"], p["total"], p["pad"], p["eos"]
    beams, keep = p["num_beams"], max(2, 1 + len(p["eos"])) * p["num_beams"]
    length_penalty, early = p["length_penalty"], p["early_stopping"]

    def run(state, ids, mask, key, temperature, top_p, offset):
        _TRACES["count"] += 1
        model = nnx.merge(graphdef, state)
        model.eval()  # no dropout while generating, whatever mode the caller's model is in
        flat = ids.shape[0]
        batch = flat // beams
        buffer = jnp.full((flat, total), pad, jnp.int32).at[:, :bucket].set(ids)
        keys = jnp.zeros((flat, total), jnp.int32).at[:, :bucket].set(mask)
        cache = model._init_cache(flat, total)
        logits, cache = _prefill(model, buffer, _positions(keys), keys, cache, bucket)
        running = buffer.reshape(batch, beams, total)
        running_scores = jnp.zeros((batch, beams)).at[:, 1:].set(NEG)
        finished = running
        finished_scores = jnp.full((batch, beams), NEG)
        finished_length = jnp.zeros((batch, beams), jnp.int32)
        is_finished = jnp.zeros((batch, beams), bool)
        can_improve = jnp.ones((batch, 1), bool)
        top_beams = jnp.arange(keep) < beams
        offsets = (jnp.arange(batch) * beams)[:, None]
        prompt = bucket - offset  # the real prompt length, for length normalisation

        def take(x, index):
            while index.ndim < x.ndim:
                index = index[..., None]
            return jnp.take_along_axis(x, index, axis=1)

        def cond(c):
            return c["go"]

        def body(c):
            cur = c["cur"]
            flat_running = c["running"].reshape(flat, total)
            scores = jax.nn.log_softmax(c["logits"].astype(jnp.float32), axis=-1)
            scores = _processed(scores, _seen_tokens(flat_running, offset, cur), cur - offset, p)
            vocab = scores.shape[-1]
            totals = (
                scores.reshape(batch, beams, vocab) + c["running_scores"][:, :, None]
            ).reshape(batch, beams * vocab)
            top_scores, picked = jax.lax.top_k(totals, keep)
            source = picked // vocab
            candidates = take(c["running"], source)
            candidates = candidates.at[:, :, cur].set(picked % vocab)
            hits = jnp.isin(picked % vocab, jnp.asarray(eos)) if eos else jnp.zeros_like(top_beams)
            hits = hits | (cur + 1 >= total)
            alive = top_scores + hits * NEG
            best = jax.lax.top_k(alive, beams)[1]
            running = take(candidates, best)
            running_scores = take(alive, best)
            origin = take(source, best)

            just = hits & top_beams[None, :]
            normalised = top_scores / ((cur + 1 - prompt).astype(jnp.float32) ** length_penalty)
            full = jnp.all(c["is_finished"], axis=-1, keepdims=True) & (early is True)
            normalised = normalised + full * NEG + (~c["can_improve"]) * NEG + (~just) * NEG
            merged = jnp.concatenate([c["finished_scores"], normalised], axis=1)
            chosen = jax.lax.top_k(merged, beams)[1]
            finished = take(jnp.concatenate([c["finished"], candidates], axis=1), chosen)
            finished_scores = take(merged, chosen)
            lengths = jnp.full((batch, keep), cur + 1, jnp.int32)
            finished_length = take(jnp.concatenate([c["finished_length"], lengths], axis=1), chosen)
            is_finished = take(jnp.concatenate([c["is_finished"], just], axis=1), chosen)

            cache = c["cache"]
            if cache is not None:
                cache = _gather(cache, (origin + offsets).reshape(-1))
            cur = cur + 1
            if early == "never" and length_penalty > 0.0:
                best_length = total - prompt
            else:
                best_length = cur - prompt
            best_running = running_scores[:, :1] / (
                best_length.astype(jnp.float32) ** length_penalty
            )
            worst = jnp.where(is_finished, jnp.min(finished_scores, axis=1, keepdims=True), NEG)
            can_improve = c["can_improve"] & jnp.any(best_running > worst, axis=-1, keepdims=True)
            open_beams = ~(jnp.all(is_finished) & (early is True))
            go = jnp.any(can_improve) & open_beams & ~jnp.all(hits) & (cur < total)
            keys = jax.lax.dynamic_update_slice_in_dim(
                c["keys"], jnp.ones((flat, 1), jnp.int32), cur - 1, axis=1
            )
            flat_running = running.reshape(flat, total)
            logits, cache = _step(model, flat_running, _positions(keys), keys, cache, cur)
            return dict(
                cur=cur,
                running=running,
                running_scores=running_scores,
                finished=finished,
                finished_scores=finished_scores,
                finished_length=finished_length,
                is_finished=is_finished,
                can_improve=can_improve,
                keys=keys,
                cache=cache,
                logits=logits,
                go=go,
            )

        start = dict(
            cur=jnp.int32(bucket),
            running=running,
            running_scores=running_scores,
            finished=finished,
            finished_scores=finished_scores,
            finished_length=finished_length,
            is_finished=is_finished,
            can_improve=can_improve,
            keys=keys,
            cache=cache,
            logits=logits,
            go=jnp.bool_(True),
        )
        end = jax.lax.while_loop(cond, body, start)
        returned = p["num_return_sequences"]
        length = jnp.max(end["finished_length"][:, :returned])
        return end["finished"][:, :returned], end["finished_scores"][:, :returned], length

    return jax.jit(run)


# ------------------------------------------------------------------------ the mixin
class FlaxGenerationMixin:
    """Adds `generate` and `generation_config` persistence to a Flax causal-LM model."""

    @property
    def generation_config(self) -> GenerationConfig:
        config = _GENERATION_CONFIGS.get(self)
        if config is None:
            config = _GENERATION_CONFIGS[self] = GenerationConfig.from_model_config(self.config)
        return config

    @generation_config.setter
    def generation_config(self, value: GenerationConfig) -> None:
        if not isinstance(value, GenerationConfig):
            raise GenerationError(
                f"generation_config must be a GenerationConfig, got {type(value).__name__}."
            )
        _GENERATION_CONFIGS[self] = value

    def can_generate(self) -> bool:
        return True

    def _after_load(self, folder: Path) -> None:
        super()._after_load(folder)  # type: ignore[misc]
        path = Path(folder) / GENERATION_CONFIG_NAME
        if path.is_file():
            self.generation_config = GenerationConfig.from_pretrained(path)

    def _save_extra_files(self, folder: Path) -> None:
        super()._save_extra_files(folder)  # type: ignore[misc]
        self.generation_config.save_pretrained(folder)

    # ------------------------------------------------------------ model hooks
    def _init_cache(self, batch: int, max_length: int) -> Any:
        """A preallocated cache for `max_length` positions, or None (recompute each step)."""
        return None

    def _decode_step(
        self, input_ids: Array, position_ids: Array, key_mask: Array, cache: Any, index: Array
    ) -> tuple[Array, Any]:
        """Without a cache: run the whole buffer (causal) and return the logits at `index`."""
        out = self(input_ids=input_ids, attention_mask=key_mask, position_ids=position_ids)
        logits = jax.lax.dynamic_index_in_dim(out.logits, index, axis=1, keepdims=False)
        return logits, None

    # ------------------------------------------------------------ generate
    def generate(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        generation_config: GenerationConfig | None = None,
        *,
        prng_key: Array | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> Array:
        """Token ids `[batch * num_return_sequences, length]` (prompt included) for left-padded
        prompts. Keyword arguments are `GenerationConfig` fields; sampling draws from
        `prng_key` (or `jax.random.key(seed)`, default seed 0)."""
        config = self._generation_settings(generation_config, kwargs)
        ids, mask = self._prompt(input_ids, attention_mask, config)
        batch, prompt = ids.shape
        eos = _eos_list(config.eos_token_id)
        pad = config.pad_token_id if config.pad_token_id is not None else (eos[0] if eos else 0)
        max_new = self._max_new_tokens(config, kwargs, prompt)
        bucket = prompt_bucket(prompt)
        context = getattr(self.config, "max_position_embeddings", None)
        if context is not None and bucket + max_new > context:
            bucket = max(prompt, context - max_new)
        offset = bucket - prompt
        ids = np.concatenate([np.full((batch, offset), pad, np.int32), ids], axis=1)
        mask = np.concatenate([np.zeros((batch, offset), np.int32), mask], axis=1)
        beams = config.num_beams
        expand = max(beams, config.num_return_sequences)
        if expand > 1:
            ids, mask = np.repeat(ids, expand, axis=0), np.repeat(mask, expand, axis=0)
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
            "num_beams": beams,
            "num_return_sequences": int(config.num_return_sequences),
            "length_penalty": float(config.length_penalty),
            "early_stopping": config.early_stopping,
        }
        program = self._program(settings, ids.shape[0])
        key = prng_key if prng_key is not None else jax.random.key(0 if seed is None else seed)
        graphdef, state = nnx.split(self)
        del graphdef
        args = (
            state,
            jnp.asarray(ids),
            jnp.asarray(mask),
            key,
            jnp.float32(config.temperature or 1.0),
            jnp.float32(config.top_p if config.top_p is not None else 1.0),
            jnp.int32(offset),
        )
        if beams > 1:
            finished, _, cur = program(*args)
            out = finished.reshape(batch * config.num_return_sequences, -1)
        else:
            out, cur = program(*args)
        return out[:, offset : int(cur)]

    def _program(self, settings: dict[str, Any], rows: int):
        cache = _COMPILED.setdefault(self, {})
        key = (
            rows,
            *sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in settings.items()),
        )
        if key not in cache:
            graphdef, _ = nnx.split(self)
            build = _beam_program if settings["num_beams"] > 1 else _sample_program
            cache[key] = build(graphdef, settings)
        return cache[key]

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
        if config.num_beams > 1 and config.do_sample:
            raise GenerationError("Beam sampling is not supported by the Flax generate yet.")
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


def _eos_list(eos: Any) -> list[int]:
    if eos is None:
        return []
    return [int(eos)] if isinstance(eos, (int, np.integer)) else [int(i) for i in eos]
