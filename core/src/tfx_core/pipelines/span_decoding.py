"""Answer-span decoding shared by `question-answering` and `document-question-answering`.

A window's start and end logits are softmaxed over its context tokens only (question, special
and padding tokens masked out), and spans are scored `start[s] * end[e]` as the reference does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.numeric import softmax

#: The logit given to tokens that cannot start or end an answer (the reference's value).
MASKED_LOGIT = -10000.0


def context_mask(chunk: dict[str, Any]) -> np.ndarray:
    """True where a window's token may be part of an answer (`p_mask` 0, attended)."""
    return (np.asarray(chunk["p_mask"]) == 0) & (np.asarray(chunk["attention_mask"]) == 1)


def span_probabilities(chunk: dict[str, Any], desired: np.ndarray) -> tuple[np.ndarray, ...]:
    """Start and end probabilities of a window, softmaxed over the `desired` tokens."""
    masked = np.float32(MASKED_LOGIT)
    return tuple(
        softmax(np.where(desired, chunk[key].numpy(), masked))
        for key in ("start_logits", "end_logits")
    )


def best_spans(
    start: np.ndarray, end: np.ndarray, desired: np.ndarray, wanted: int, max_answer_len: int
) -> list[tuple[int, int, float]]:
    """The `wanted` best spans (start <= end < start + max_answer_len), then the allowed ones.

    Like the reference, the best candidates are chosen first and spans touching question or
    special tokens dropped after, so ties resolve the same way.
    """
    length = start.shape[0]
    width = min(max_answer_len, length)
    padded_end = np.concatenate([end, np.zeros(width - 1, dtype=end.dtype)])
    windows = np.lib.stride_tricks.sliding_window_view(padded_end, width)[:length]
    band = start[:, None] * windows  # band[s, k] = start[s] * end[s + k]
    flat = band.ravel()
    if wanted >= flat.size:
        picked = np.argsort(-flat, kind="stable")
    else:
        top = np.argpartition(-flat, wanted)[:wanted]
        picked = top[np.lexsort((top, -flat[top]))]
    spans = []
    for index in picked:
        s, k = divmod(int(index), width)
        e = s + k
        if e < length and desired[s] and desired[e]:
            spans.append((s, e, float(flat[index])))
    return spans


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """`value` if it is an int >= `minimum`; else a PipelineError naming `name`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise PipelineError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return value


__all__ = ["MASKED_LOGIT", "best_spans", "context_mask", "positive_int", "span_probabilities"]
