"""The jitted decoding programs behind `generate`: one `jax.jit` program per shape, a
`lax.while_loop` inside, over a preallocated cache, or recomputing the whole buffer each step
(`use_cache=False`, or a model without a cache): greedy / sampling and beam search.

A program is built for a model's graph and a dict of static settings (`p`), and called as
`run(state, ids, mask, key, temperature, top_p, offset, context)`: `ids` / `mask` are the
(left-padded) prompts, `offset` how much padding precedes the real prompt, `context` the extra
inputs the model's `_generation_cache(batch, max_length, context)` reads (an encoder-decoder's
source; None for a causal LM). Each step calls the model's `_decode_step`. The logits rules are
the reference's (same processors and order, same stopping, finished rows filled with the pad id).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.experimental import io_callback

Array = jax.Array
NEG = -1.0e9
_TRACES = {"count": 0}
#: the streamer of the streaming `generate` running now (see `generation.py`)
ACTIVE_STREAMER: dict[str, Any] = {"streamer": None}


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
def _processed(
    scores: Array,
    seen: Array,
    length: Array,
    p: dict[str, Any],
    last: Array | bool = False,
    cur: Array | int = 0,
) -> Array:
    """Repetition penalty, no-repeat n-grams, bad words, minimum length, forced first / last
    token (the reference's order), on float32 scores; `length` counts the real tokens so far, `cur` is the
    column the next token goes to, `last` marks the final step."""
    if p["repetition_penalty"] != 1.0:
        penalty = p["repetition_penalty"]
        rows = jnp.arange(scores.shape[0])[:, None]
        gathered = jnp.take_along_axis(scores, seen, axis=1)
        updated = jnp.where(gathered < 0, gathered * penalty, gathered / penalty)
        valid = seen >= 0
        target = jnp.where(valid, seen, scores.shape[1])  # out of range: dropped
        scores = scores.at[rows, target].set(jnp.where(valid, updated, 0.0), mode="drop")
    if p.get("no_repeat_ngram_size", 0) > 0:
        scores = _no_repeat_ngram(scores, seen, length, cur, p["no_repeat_ngram_size"])
    if p.get("bad_words"):
        scores = _bad_words(scores, seen, length, cur, p["bad_words"])
    if p["min_length"] > 0 and p["eos"]:
        block = length < p["min_length"]
        eos = jnp.asarray(p["eos"])
        scores = scores.at[:, eos].set(jnp.where(block, -jnp.inf, scores[:, eos]))
    if p.get("forced_bos") is not None:
        scores = _forced(scores, p["forced_bos"], length == 1)
    if p.get("forced_eos"):
        scores = _forced(scores, jnp.asarray(p["forced_eos"]), last)
    return scores


def _no_repeat_ngram(scores: Array, seen: Array, length: Array, cur: Array, n: int) -> Array:
    """Ban every token that would complete an n-gram already in the sequence (`seen`: the
    real tokens, -1 elsewhere; the last n-1 tokens end at column `cur - 1`)."""
    starts = seen.shape[1] - n + 1
    tail = jax.lax.dynamic_slice_in_dim(seen, cur - (n - 1), n - 1, axis=1)
    windows = seen[:, jnp.arange(starts)[:, None] + jnp.arange(n - 1)[None, :]]
    follower = seen[:, jnp.arange(starts) + n - 1]
    match = jnp.all(windows == tail[:, None, :], axis=-1) & (follower >= 0)
    target = jnp.where(match, follower, scores.shape[1])  # out of range: dropped
    rows = jnp.arange(scores.shape[0])[:, None]
    banned = jnp.zeros(scores.shape, bool).at[rows, target].set(True, mode="drop")
    return jnp.where(banned & (length + 1 >= n), -jnp.inf, scores)


def _bad_words(
    scores: Array, seen: Array, length: Array, cur: Array, sequences: tuple[tuple[int, ...], ...]
) -> Array:
    """-inf for each banned sequence's last token where the tokens before it end the sequence
    so far (a one-token sequence: always). `sequences` is static: one check each, unrolled."""
    banned = jnp.zeros(scores.shape, bool)
    for *prefix, last in sequences:
        if prefix:
            tail = jax.lax.dynamic_slice_in_dim(seen, cur - len(prefix), len(prefix), axis=1)
            hit = jnp.all(tail == jnp.asarray(prefix), axis=-1) & (length >= len(prefix))
        else:
            hit = jnp.ones(scores.shape[0], bool)
        banned = banned.at[:, last].set(banned[:, last] | hit)
    return jnp.where(banned, -jnp.inf, scores)


def _emit(token: np.ndarray) -> None:
    """Host side of streaming: hand one step's token to the active streamer."""
    streamer = ACTIVE_STREAMER["streamer"]
    if streamer is not None:
        streamer.put(np.asarray(token).copy())


def _forced(scores: Array, token: Any, when: Array) -> Array:
    """Every score -inf but `token`'s (0) where `when` holds (forced BOS / EOS)."""
    forced = jnp.full_like(scores, -jnp.inf).at[:, token].set(0.0)
    return jnp.where(when, forced, scores)


def _warped(scores: Array, p: dict[str, Any], temperature: Array, top_p: Array) -> Array:
    """Temperature, top-k, top-p (the reference's warper order)."""
    scores = scores / temperature
    keep = 2 if p["num_beams"] > 1 else 1  # the reference keeps two tokens per beam
    if p["top_k"] > 0:
        k = min(max(p["top_k"], keep), scores.shape[-1])
        kth = jax.lax.top_k(scores, k)[0][:, -1:]
        scores = jnp.where(scores < kth, -jnp.inf, scores)
    if p["use_top_p"]:
        order = jnp.argsort(scores, axis=-1)  # ascending, like the reference
        sorted_scores = jnp.take_along_axis(scores, order, axis=-1)
        cumulative = jnp.cumsum(jax.nn.softmax(sorted_scores, axis=-1), axis=-1)
        remove = cumulative <= 1 - top_p
        remove = remove.at[:, -keep:].set(False)  # keep at least one token (two per beam)
        drop = jnp.zeros_like(remove).at[jnp.arange(scores.shape[0])[:, None], order].set(remove)
        scores = jnp.where(drop, -jnp.inf, scores)
    return scores


def _seen_tokens(buffer: Array, offset: int, cur: Array) -> Array:
    """Token ids of the real sequence so far (-1 elsewhere), for the repetition penalty."""
    columns = jnp.arange(buffer.shape[1])
    return jnp.where((columns >= offset) & (columns < cur), buffer, -1)


# ------------------------------------------------------------------------ decoding programs
def _start(model: Any, p: dict[str, Any], rows: int, total: int, context: Any) -> tuple[Any, bool]:
    """The state decoding carries and whether it is a KV cache: the model's preallocated cache,
    or (`use_cache=False`, or a model without a cache) what each full recompute reads."""
    if p.get("use_cache", True):
        cache = model._generation_cache(rows, total, context)
        if cache is not None:
            return cache, True
    return model._recompute_context(rows, context), False


def _recompute(model: Any, ids: Array, positions: Array, mask: Array, state: Any, index: Any):
    """The logits at `index` from the whole buffer; columns not written yet (which hold the fill
    id, maybe outside a small vocabulary) and padding are fed as id 0: they are masked anyway."""
    ids = jnp.where(mask > 0, ids, 0)
    return model._recompute_step(ids, positions, mask, state, index)


def _step(model: Any, ids: Array, positions: Array, mask: Array, state: Any, cur: Array, cached):
    """Logits for the token at column `cur - 1` (the last one written), and the new state."""
    if not cached:  # recompute the whole buffer; causal masking hides what follows
        return _recompute(model, ids, positions, mask, state, cur - 1), state
    column = jax.lax.dynamic_slice_in_dim(ids, cur - 1, 1, axis=1)
    position = jax.lax.dynamic_slice_in_dim(positions, cur - 1, 1, axis=1)
    return model._decode_step(column, position, mask, state, cur - 1)


def _prefill(
    model: Any, ids: Array, positions: Array, mask: Array, state: Any, bucket: int, cached
):
    if not cached:
        return _recompute(model, ids, positions, mask, state, bucket - 1), state
    return model._decode_step(ids[:, :bucket], positions[:, :bucket], mask, state, 0)


def mask_positions(mask: Array) -> Array:
    """The reference's position ids for padded rows: cumsum(mask) - 1, 1 on padding."""
    positions = jnp.cumsum(mask, axis=-1) - 1
    return jnp.where(mask == 0, 1, positions)


def sample_program(graphdef: Any, p: dict[str, Any]):
    bucket, total, pad, eos = p["bucket"], p["total"], p["pad"], p["eos"]

    def run(state, ids, mask, key, temperature, top_p, offset, context):
        _TRACES["count"] += 1
        model = nnx.merge(graphdef, state)
        model.eval()  # no dropout while generating, whatever mode the caller's model is in
        batch = ids.shape[0]
        buffer = jnp.full((batch, total), pad, jnp.int32).at[:, :bucket].set(ids)
        keys = jnp.zeros((batch, total), jnp.int32).at[:, :bucket].set(mask)
        positions = model._generation_positions(keys, offset)
        cache, cached = _start(model, p, batch, total, context)
        logits, cache = _prefill(model, buffer, positions, keys, cache, bucket, cached)

        def cond(carry):
            cur, _, _, _, _, unfinished, _ = carry
            return (cur < total) & jnp.any(unfinished)

        def body(carry):
            cur, buffer, keys, cache, logits, unfinished, key = carry
            scores = logits.astype(jnp.float32)
            seen = _seen_tokens(buffer, offset, cur)
            scores = _processed(scores, seen, cur - offset, p, cur + 1 >= total, cur)
            if p["do_sample"]:
                key, sub = jax.random.split(key)
                token = jax.random.categorical(sub, _warped(scores, p, temperature, top_p))
            else:
                token = jnp.argmax(scores, axis=-1)
            token = jnp.where(unfinished, token, pad).astype(jnp.int32)
            if p.get("stream"):  # one ordered host callback per step, inside the loop
                io_callback(_emit, None, token, ordered=True)
            buffer = jax.lax.dynamic_update_slice_in_dim(buffer, token[:, None], cur, axis=1)
            keys = jax.lax.dynamic_update_slice_in_dim(
                keys, jnp.ones((batch, 1), jnp.int32), cur, axis=1
            )
            if eos:
                unfinished = unfinished & ~jnp.isin(token, jnp.asarray(eos))
            positions = model._generation_positions(keys, offset)
            logits, cache = _step(model, buffer, positions, keys, cache, cur + 1, cached)
            return cur + 1, buffer, keys, cache, logits, unfinished, key

        start = (jnp.int32(bucket), buffer, keys, cache, logits, jnp.ones(batch, bool), key)
        cur, buffer, *_ = jax.lax.while_loop(cond, body, start)
        return buffer, cur

    return jax.jit(run)


def _gather(tree: Any, index: Array) -> Any:
    return jax.tree.map(lambda x: x[index], tree)


def beam_program(graphdef: Any, p: dict[str, Any]):
    bucket, total, pad, eos = p["bucket"], p["total"], p["pad"], p["eos"]
    beams, keep = p["num_beams"], max(2, 1 + len(p["eos"])) * p["num_beams"]
    length_penalty, early = p["length_penalty"], p["early_stopping"]

    def run(state, ids, mask, key, temperature, top_p, offset, context):
        _TRACES["count"] += 1
        model = nnx.merge(graphdef, state)
        model.eval()  # no dropout while generating, whatever mode the caller's model is in
        flat = ids.shape[0]
        batch = flat // beams
        # the reference fills short hypotheses with `pad_token_id or eos_token_id[0]`
        fill = (pad or eos[0]) if eos else pad
        buffer = jnp.full((flat, total), fill, jnp.int32).at[:, :bucket].set(ids)
        keys = jnp.zeros((flat, total), jnp.int32).at[:, :bucket].set(mask)
        cache, cached = _start(model, p, flat, total, context)
        logits, cache = _prefill(
            model, buffer, model._generation_positions(keys, offset), keys, cache, bucket, cached
        )
        running = buffer.reshape(batch, beams, total)
        running_scores = jnp.zeros((batch, beams)).at[:, 1:].set(NEG)
        finished = running
        finished_scores = jnp.full((batch, beams), NEG)
        finished_length = jnp.zeros((batch, beams), jnp.int32)
        is_finished = jnp.zeros((batch, beams), bool)
        can_improve = jnp.ones((batch, 1), bool)
        top_beams = jnp.arange(keep) < beams
        offsets = (jnp.arange(batch) * beams)[:, None]
        prompt = bucket  # generated length = column - bucket (the reference's cur_len - prompt)

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
            seen = _seen_tokens(flat_running, offset, cur)
            scores = _processed(scores, seen, cur - offset, p, cur + 1 >= total, cur)
            if p["do_sample"]:
                scores = _warped(scores, p, temperature, top_p)
            vocab = scores.shape[-1]
            totals = (
                scores.reshape(batch, beams, vocab) + c["running_scores"][:, :, None]
            ).reshape(batch, beams * vocab)
            if p["do_sample"]:  # `keep` draws without replacement (Gumbel top-k)
                key, sub = jax.random.split(c["key"])
                picked = jax.lax.top_k(totals + jax.random.gumbel(sub, totals.shape), keep)[1]
                top_scores = jnp.take_along_axis(totals, picked, axis=1)
            else:
                key = c["key"]
                top_scores, picked = jax.lax.top_k(totals, keep)
            source = picked // vocab
            candidates = take(c["running"], source)
            candidates = candidates.at[:, :, cur].set(picked % vocab)
            hits = (
                jnp.isin(picked % vocab, jnp.asarray(eos)) if eos else jnp.zeros_like(picked, bool)
            )
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
            if cached:
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
            positions = model._generation_positions(keys, offset)
            logits, cache = _step(model, flat_running, positions, keys, cache, cur, cached)
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
                key=key,
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
            key=key,
        )
        end = jax.lax.while_loop(cond, body, start)
        returned = p["num_return_sequences"]
        length = jnp.max(end["finished_length"][:, :returned])
        return end["finished"][:, :returned], end["finished_scores"][:, :returned], length

    return jax.jit(run)
