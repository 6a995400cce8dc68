"""Beam search as one XLA-compiled loop, with the reference's rules for the same ids.

Per step, every running beam's log-probabilities (plus its score) give `keep = max(2, 1 + #EOS)
* num_beams` candidates; the best `num_beams` candidates that did not just end keep running,
and the candidates among the top `num_beams` that did end (EOS, or the length limit) compete
for the finished list with their score divided by `generated_length ** length_penalty`. The
loop stops when no running beam can beat the finished ones (the reference's heuristic, by
`early_stopping`), when every finished list is full with `early_stopping=True`, or when every
candidate ended. The KV cache follows the surviving beams by a gather along its batch axis.
"""

from __future__ import annotations

from typing import Any

from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.processors import logits_processor

_NEG = -1.0e9


def _gather(tensor: Any, indices: Any) -> Any:
    """`tensor[b, indices[b, j], ...]` for `[batch, beams, ...]` tensors."""
    return tf.gather(tensor, indices, batch_dims=1)


def beam_loop(model: Any, prompt: int, new: int, settings: tuple) -> Any:
    """The compiled body for `TFGenerationMixin.generate` with `num_beams > 1`."""
    _, beams, _, _, _, eos, pad, length_penalty, early_stopping, returned = settings[:10]
    keep = max(2, 1 + len(eos)) * beams
    eos_ids = tf.constant(eos or [-1], tf.int32)
    stop_when_full = early_stopping is True
    top_beam_mask = tf.range(keep) < beams

    process = logits_processor(settings[10])

    def loop(ids: Any, mask: Any, count: Any, seed: Any, length: Any) -> tuple[Any, Any]:
        batch = ids.shape[0]  # static: one compiled loop per batch size
        logits, state = model._begin(ids, mask, beams, prompt, new, settings[10], length)
        beam_ids = tf.repeat(ids, beams, axis=0)  # each beam's prompt, for the processors
        vocab = logits.shape[-1]
        first = tf.concat([tf.zeros((batch, 1)), tf.fill((batch, beams - 1), _NEG)], axis=1)
        initial = (
            tf.constant(0),
            logits,
            state,
            tf.fill((batch, beams, new), pad),  # running tokens
            first,  # running scores
            tf.fill((batch, beams, new), pad),  # finished tokens
            tf.fill((batch, beams), _NEG),  # finished scores
            tf.zeros((batch, beams), tf.int32),  # finished lengths (new tokens)
            tf.zeros((batch, beams), tf.bool),  # finished slot filled
            tf.ones((batch, 1), tf.bool),  # running beams may still improve
            tf.constant(False),  # stop
        )

        def body(
            step, logits, state, run_tok, run_score, fin_tok, fin_score, fin_len, done, hope, _
        ):
            log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
            if process is not None:
                flat_tokens = tf.reshape(run_tok, (batch * beams, new))
                view = model._view(beam_ids, flat_tokens, step, count, length, prompt, settings[10])
                log_probs = process(log_probs, view)
            log_probs = tf.reshape(log_probs, (batch, beams, vocab)) + run_score[:, :, None]
            top_scores, top_index = tf.math.top_k(tf.reshape(log_probs, (batch, -1)), keep)
            source, token = top_index // vocab, top_index % vocab
            column = tf.equal(tf.range(new), step)
            candidates = tf.where(column[None, None], token[:, :, None], _gather(run_tok, source))
            is_eos = tf.reduce_any(token[:, :, None] == eos_ids[None, None], axis=-1)
            hits = tf.logical_or(is_eos, step + 1 >= count)

            # the best candidates that did not just end keep running
            running = top_scores + tf.cast(hits, tf.float32) * _NEG
            chosen = tf.math.top_k(running, beams).indices
            run_tok, run_score = _gather(candidates, chosen), _gather(running, chosen)
            parents = _gather(source, chosen)

            # the top candidates that ended compete for the finished slots
            ended = tf.logical_and(hits, top_beam_mask[None])
            scored = top_scores / tf.cast(step + 1, tf.float32) ** length_penalty
            if stop_when_full:
                full = tf.reduce_all(done, axis=-1, keepdims=True)
                scored += tf.cast(full, tf.float32) * _NEG
            scored += tf.cast(tf.logical_not(hope), tf.float32) * _NEG
            scored += tf.cast(tf.logical_not(ended), tf.float32) * _NEG
            merged_scores = tf.concat([fin_score, scored], axis=1)
            best = tf.math.top_k(merged_scores, beams).indices
            fin_tok = _gather(tf.concat([fin_tok, candidates], axis=1), best)
            fin_score = _gather(merged_scores, best)
            lengths = tf.fill((batch, keep), step + 1)
            fin_len = _gather(tf.concat([fin_len, lengths], axis=1), best)
            done = _gather(tf.concat([done, ended], axis=1), best)

            # the cache follows the surviving beams
            flat_parents = tf.reshape(parents + tf.range(batch)[:, None] * beams, (-1,))
            state = model._reorder(state, flat_parents)

            if early_stopping == "never" and length_penalty > 0.0:
                hypothetical = tf.cast(count, tf.float32)
            else:
                hypothetical = tf.cast(step + 1, tf.float32)
            best_running = run_score[:, :1] / hypothetical**length_penalty
            worst_finished = tf.where(done, tf.reduce_min(fin_score, axis=1, keepdims=True), _NEG)
            hope = tf.logical_and(
                hope, tf.reduce_any(best_running > worst_finished, axis=-1, keepdims=True)
            )
            go_on = tf.reduce_any(hope) & tf.logical_not(tf.reduce_all(hits))
            if stop_when_full:
                go_on = go_on & tf.logical_not(tf.reduce_all(done))

            next_token = tf.reshape(
                tf.gather(tf.reshape(run_tok, (batch * beams, new)), [step], axis=1), (-1,)
            )
            logits, state = model._advance(next_token, step, state, prompt, new)
            return (
                step + 1,
                logits,
                state,
                run_tok,
                run_score,
                fin_tok,
                fin_score,
                fin_len,
                done,
                hope,
                tf.logical_not(go_on),
            )

        def cond(step, *rest):
            return tf.logical_and(step < count, tf.logical_not(rest[-1]))

        final = tf.while_loop(cond, body, initial)
        fin_tok, fin_len = final[5][:, :returned], final[7][:, :returned]
        tokens = tf.reshape(fin_tok, (batch * returned, new))
        return tokens, tf.reduce_max(fin_len)

    return loop
