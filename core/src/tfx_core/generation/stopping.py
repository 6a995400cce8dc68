"""Stopping criteria: `(input_ids, scores) -> [batch] bool`, True where a sequence is done.

The decoding loops handle the maximum length on the host and end-of-sequence tokens on the
device themselves (cheapest per step); these classes are what they use for everything else
(`stop_strings`, criteria a caller passes in) and what beam search applies to its candidates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from tfx_core.errors import GenerationError

__all__ = [
    "ConfidenceCriteria",
    "EosTokenCriteria",
    "MaxLengthCriteria",
    "MaxTimeCriteria",
    "StopStringCriteria",
    "StoppingCriteria",
    "StoppingCriteriaList",
]


class StoppingCriteria:
    """Base class: `__call__(input_ids, scores) -> BoolTensor[batch]`."""

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        raise NotImplementedError


class StoppingCriteriaList(list):
    """A sequence is done when any criterion says so."""

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for criterion in self:
            done = done | criterion(input_ids, scores)
        return done


class MaxLengthCriteria(StoppingCriteria):
    """Done once the sequence (prompt included) has `max_length` tokens."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        done = input_ids.shape[-1] >= self.max_length
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class EosTokenCriteria(StoppingCriteria):
    """Done when the last token is one of the end-of-sequence ids."""

    def __init__(self, eos_token_id: int | Sequence[int]) -> None:
        ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
        self.eos_token_id = torch.tensor(ids, dtype=torch.long)

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        if self.eos_token_id.device != input_ids.device:
            self.eos_token_id = self.eos_token_id.to(input_ids.device)
        return torch.isin(input_ids[:, -1], self.eos_token_id)


class MaxTimeCriteria(StoppingCriteria):
    """Stop every sequence once `max_time` seconds passed since `initial_timestamp` (default:
    when the criterion was made)."""

    def __init__(self, max_time: float, initial_timestamp: float | None = None) -> None:
        if isinstance(max_time, bool) or not isinstance(max_time, (int, float)) or max_time < 0:
            raise GenerationError(f"max_time must be a number of seconds >= 0, got {max_time!r}.")
        self.max_time = float(max_time)
        self.initial_timestamp = time.time() if initial_timestamp is None else initial_timestamp

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        done = time.time() - self.initial_timestamp > self.max_time
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class ConfidenceCriteria(StoppingCriteria):
    """For an assistant model's drafts: stop when the first sequence's last token had a
    probability below `assistant_confidence_threshold` (`scores` is the per-step tuple)."""

    def __init__(self, assistant_confidence_threshold: float) -> None:
        self.assistant_confidence_threshold = assistant_confidence_threshold

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None, **kwargs: Any) -> bool:
        probabilities = scores[-1].softmax(-1)
        token = input_ids[0, -1]
        return bool(probabilities[0, token].item() < self.assistant_confidence_threshold)


class StopStringCriteria(StoppingCriteria):
    """Done when the decoded text ends with a stop string, which may end inside the last token.

    Works on decoded text, so it is exact for any tokenizer: each call decodes the last few
    tokens of each row (enough to hold the longest stop string, even byte by byte) with and
    without the newest token, and reports a match whose end lies in the newest token's text.
    """

    def __init__(self, tokenizer: Any, stop_strings: str | Sequence[str]) -> None:
        if tokenizer is None or not hasattr(tokenizer, "decode"):
            raise GenerationError(
                "stop_strings need the model's tokenizer to read the generated text: pass "
                "tokenizer=... to generate()."
            )
        strings = [stop_strings] if isinstance(stop_strings, str) else list(stop_strings)
        if not strings or not all(isinstance(s, str) and s for s in strings):
            raise GenerationError(f"stop_strings must be non-empty strings, got {stop_strings!r}.")
        self.tokenizer = tokenizer
        self.stop_strings = tuple(strings)
        # a character is at most 4 bytes, and byte-level tokens can be single bytes
        self.window = 4 * max(len(s) for s in strings) + 1

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False)

    def matches(self, ids: Sequence[int]) -> bool:
        """Whether the sequence `ids` ends with (or its last token runs past) a stop string."""
        tail = list(ids[-self.window :])
        if not tail:
            return False
        text = self._decode(tail)
        before = self._decode(tail[:-1]) if len(tail) > 1 else ""
        boundary = _common_prefix_length(before, text)
        for stop in self.stop_strings:
            position = text.rfind(stop)
            if position >= 0 and position + len(stop) > boundary:
                return True
        return False

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None) -> torch.BoolTensor:
        rows = input_ids[:, -self.window :].tolist()
        return torch.tensor(
            [self.matches(row) for row in rows], dtype=torch.bool, device=input_ids.device
        )


def _common_prefix_length(a: str, b: str) -> int:
    """Length of the common prefix (where the newest token's text starts)."""
    limit = min(len(a), len(b))
    for index in range(limit):
        if a[index] != b[index]:
            return index
    return limit
