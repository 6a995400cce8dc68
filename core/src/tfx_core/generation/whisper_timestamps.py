"""Whisper's timestamp rules as a logits processor (the reference's
`WhisperTimeStampLogitsProcessor`): timestamps come in pairs and never go back, the first
token is a timestamp no later than `max_initial_timestamp_index`, and when the timestamps
together are likelier than any single text token a timestamp is forced.

Token ids from `no_timestamps_token_id + 1` on are timestamps; ids below the end-of-text token
are text.
"""

from __future__ import annotations

from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.processors import NEG_INF, LogitsProcessor

__all__ = ["WhisperTimeStampLogitsProcessor"]


class WhisperTimeStampLogitsProcessor(LogitsProcessor):
    """Mask scores so generated timestamps follow Whisper's format.

    `generate_config` needs `no_timestamps_token_id` and `eos_token_id` (or `bos_token_id`),
    and may set `max_initial_timestamp_index`; `begin_index` is the position of the first
    generated token.
    """

    def __init__(
        self,
        generate_config: Any,
        begin_index: int,
        _detect_timestamp_from_logprob: bool | None = None,
    ) -> None:
        no_timestamps = getattr(generate_config, "no_timestamps_token_id", None)
        if no_timestamps is None:
            raise GenerationError(
                "WhisperTimeStampLogitsProcessor needs generate_config.no_timestamps_token_id "
                "(the id of <|notimestamps|>)."
            )
        if begin_index is None:
            raise GenerationError(
                "WhisperTimeStampLogitsProcessor needs begin_index: the position of the first "
                "generated token (after the prompt and the forced task/language tokens)."
            )
        eos = getattr(generate_config, "eos_token_id", None) or getattr(
            generate_config, "bos_token_id", None
        )
        if isinstance(eos, (list, tuple)):
            eos = eos[0] if eos else None
        if eos is None:
            raise GenerationError("WhisperTimeStampLogitsProcessor needs an eos_token_id.")
        self.no_timestamps_token_id = no_timestamps
        self.timestamp_begin = no_timestamps + 1
        self.eos_token_id = eos
        if _detect_timestamp_from_logprob is None:
            _detect_timestamp_from_logprob = getattr(
                generate_config, "_detect_timestamp_from_logprob", True
            )
        self._detect_timestamp_from_logprob = _detect_timestamp_from_logprob
        self.begin_index = begin_index
        self.max_initial_timestamp_index = getattr(
            generate_config, "max_initial_timestamp_index", None
        )

    def set_begin_index(self, begin_index: int) -> None:
        self.begin_index = begin_index

    def _pairing_rules(self, row: torch.Tensor, scores: torch.Tensor) -> None:
        """Mask one row's scores in place by its generated tokens `row`."""
        first = self.timestamp_begin
        tokens = row.tolist()
        last_is_time = len(tokens) >= 1 and tokens[-1] >= first
        before_is_time = len(tokens) < 2 or tokens[-2] >= first
        if last_is_time:
            if before_is_time:  # a pair just closed: text (or end) next
                scores[first:] = NEG_INF
            else:  # an open pair: another timestamp (or end), no text
                scores[: self.eos_token_id] = NEG_INF
        times = [t for t in tokens if t >= first]
        if times:  # never earlier than the last timestamp; repeat it only to close a pair
            last = times[-1] if last_is_time and not before_is_time else times[-1] + 1
            scores[first:last] = NEG_INF

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        first = self.timestamp_begin
        scores = scores.clone()
        scores[:, self.no_timestamps_token_id] = NEG_INF
        for k in range(input_ids.shape[0]):
            self._pairing_rules(input_ids[k, self.begin_index :], scores[k])
        if input_ids.shape[1] == self.begin_index:  # the first token is a timestamp
            scores[:, :first] = NEG_INF
            if self.max_initial_timestamp_index is not None:
                scores[:, first + self.max_initial_timestamp_index + 1 :] = NEG_INF
        if self._detect_timestamp_from_logprob:
            logprobs = torch.log_softmax(scores.float(), dim=-1)
            time_mass = logprobs[:, first:].logsumexp(dim=-1)
            best_text = logprobs[:, :first].max(dim=-1).values
            scores[time_mass > best_text, :first] = NEG_INF
        return scores
