"""Cheap candidate continuations for assisted decoding (`tfx_core.generation.assisted`).

A candidate source proposes up to `limit` next tokens for a single sequence; the main model then
checks them all in one forward. Two sources, as the reference's:

- `PromptLookupCandidates` (`prompt_lookup_num_tokens`): the tokens that followed an earlier
  occurrence of the sequence's last n-gram (n from `max_matching_ngram_size`, default 2, down to
  1; the leftmost occurrence with a continuation wins). Candidates the processors forbid (a
  logit of -inf on neutral logits, e.g. `no_repeat_ngram_size`) are cut off, and so is
  everything from the first end-of-sequence token on.
- `AssistantCandidates` (`assistant_model`): a small draft model sharing the vocabulary decodes
  greedily (or samples) with the main request's processors, keeping its own key/value cache
  across rounds (cropped to what the main model accepted). It drafts `num_assistant_tokens` of
  its generation config ("heuristic" schedule: +2 after a fully accepted draft, else -1, at
  least 1; the final value is written back to its config, as the reference does), stopping
  early at an end-of-sequence token or when its chosen token's probability falls under
  `assistant_confidence_threshold`.
"""

from __future__ import annotations

from typing import Any

import torch

from tfx_core.errors import GenerationError

__all__ = ["AssistantCandidates", "PromptLookupCandidates"]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise GenerationError(f"{name} must be a positive int, got {value!r}.")
    return value


class PromptLookupCandidates:
    """N-gram lookup in the sequence itself (prompt and generated tokens)."""

    def __init__(
        self,
        num_tokens: int,
        max_ngram_size: int | None,
        eos_token_ids: list[int],
        processors: Any,
        vocab_size: int,
    ) -> None:
        self.num_tokens = _positive_int(num_tokens, "prompt_lookup_num_tokens")
        #: how far past `max_length` a proposal may reach (`propose`)
        self.overshoot = self.num_tokens
        size = 2 if max_ngram_size is None else max_ngram_size
        self.max_ngram_size = _positive_int(size, "max_matching_ngram_size")
        self.eos_token_ids = set(eos_token_ids)
        self.processors = processors
        self.vocab_size = vocab_size

    def propose(
        self, ids: torch.LongTensor, limit: int
    ) -> tuple[torch.LongTensor, torch.Tensor | None]:
        """Candidate ids `[k]` continuing `ids` `[1, length]` (no logits); none when `limit`
        (the room left before `max_length`, minus the main model's own token) is 0.

        As the reference's, a continuation is cut at the sequence's end and at `max_length` as
        a position in the sequence, not at the room left: the sampled tokens then match the
        reference's, and the decoding loop drops what lies past `max_length`."""
        length = ids.shape[1]
        empty = ids.new_empty(0)
        if limit <= 0:
            return empty, None
        max_length = length + limit + 1
        row = ids[0]
        for size in range(min(self.max_ngram_size, length - 1), 0, -1):
            hits = (row.unfold(0, size, 1) == row[-size:]).all(dim=1)
            for start in (hits.nonzero().view(-1) + size).tolist():
                stop = min(start + self.num_tokens, length, max_length)
                if start >= stop:
                    continue
                chosen = self._allowed_prefix(ids, row[start:stop])
                if chosen.numel() == 0:
                    continue  # every candidate forbidden: try the next occurrence
                for index, token in enumerate(chosen.tolist()):
                    if token in self.eos_token_ids:  # the main model would go on past EOS
                        return chosen[:index], None
                return chosen, None
        return empty, None

    def _allowed_prefix(self, ids: torch.LongTensor, chosen: torch.LongTensor) -> torch.LongTensor:
        """The candidates before the first one the processors forbid after its prefix."""
        if not self.processors:
            return chosen
        neutral = torch.ones((1, self.vocab_size), dtype=torch.float32, device=ids.device)
        sequence = ids
        for index, token in enumerate(chosen.tolist()):
            logit = float(self.processors(sequence, neutral.clone())[0, token])
            if logit == float("-inf") or logit == torch.finfo(torch.float32).min:
                return chosen[:index]
            sequence = torch.cat((ids, chosen[: index + 1].unsqueeze(0)), dim=1)
        return chosen

    def update(self, num_candidates: int, num_matches: int) -> None:
        """Nothing to adapt (the lookup has no schedule)."""

    def finish(self) -> None:
        """Nothing to write back."""


class AssistantCandidates:
    """Drafts from a smaller model with the same vocabulary and its own cache."""

    def __init__(
        self,
        assistant: Any,
        *,
        processors: Any,
        eos_token_ids: list[int],
        do_sample: bool,
        generator: torch.Generator | None,
        max_length: int,
        padding: int = 0,
    ) -> None:
        from tfx_core.modeling.torch.cache import DynamicCache

        settings = assistant.generation_config
        self.assistant = assistant
        self.schedule = settings.num_assistant_tokens_schedule
        if self.schedule not in ("constant", "heuristic", "heuristic_transient"):
            raise GenerationError(
                "num_assistant_tokens_schedule must be 'constant', 'heuristic' or "
                f"'heuristic_transient', got {self.schedule!r}."
            )
        num_tokens = settings.num_assistant_tokens
        if (
            isinstance(num_tokens, bool)
            or not isinstance(num_tokens, (int, float))
            or num_tokens < 1
        ):
            raise GenerationError(
                f"num_assistant_tokens must be a number >= 1, got {num_tokens!r} (set it on the "
                "assistant's generation_config)."
            )
        self.num_tokens = float(num_tokens)
        self.threshold = settings.assistant_confidence_threshold
        self.processors = processors
        self.eos = torch.tensor(eos_token_ids, dtype=torch.long)
        self.do_sample = do_sample
        self.generator = generator
        self.cache = DynamicCache(capacity=max_length)
        self.overshoot = 0  # drafts stop before max_length
        self.cached = 0  # positions in the assistant's cache
        self.padding = padding  # left padding of the prompt, never fed
        assistant._prepare_for_decoding()

    def propose(
        self, ids: torch.LongTensor, limit: int
    ) -> tuple[torch.LongTensor, torch.Tensor | None]:
        """Up to `min(num_assistant_tokens, limit)` drafted ids `[k]` and their processed
        scores `[1, k, vocab]` (what speculative sampling compares against)."""
        count = min(int(self.num_tokens), limit)
        if count <= 0:
            return ids.new_empty(0), None
        device = self.assistant.device
        ids = ids.to(device)
        length = ids.shape[1]
        if self.cached:  # as the reference: recompute the last two positions
            self.cached = min(self.cached, length - self.padding - 2)
            self.cache.crop(self.cached)
        sequence = ids
        feed = ids[:, self.padding + self.cached :]
        drafted: list[torch.Tensor] = []
        scores: list[torch.Tensor] = []
        eos = self.eos.to(device)
        for _ in range(count):
            logits = self.assistant._decode_forward(
                feed, attention_mask=None, position_ids=None, cache=self.cache
            )
            self.cached += feed.shape[1]
            step = logits.float()
            if self.processors:
                step = self.processors(sequence, step.clone())
            scores.append(step)
            if self.do_sample:
                probs = torch.softmax(step, dim=-1)
                token = torch.multinomial(probs, 1, generator=self.generator).view(1, 1)
            else:
                token = step.argmax(dim=-1, keepdim=True)
            drafted.append(token)
            sequence = torch.cat((sequence, token), dim=1)
            feed = token
            if eos.numel() and bool(torch.isin(token, eos)):
                break
            confidence = torch.softmax(step, dim=-1)[0, token[0, 0]]
            if self.threshold and float(confidence) < self.threshold:
                break
        return torch.cat(drafted, dim=1)[0], torch.stack(scores, dim=1)

    def update(self, num_candidates: int, num_matches: int) -> None:
        """The heuristic schedule: longer drafts after a fully accepted one, shorter otherwise."""
        if self.schedule in ("heuristic", "heuristic_transient"):
            if num_matches == num_candidates:
                self.num_tokens += 2.0
            else:
                self.num_tokens = max(1.0, self.num_tokens - 1.0)

    def finish(self) -> None:
        """The "heuristic" schedule carries its draft length over to the next call."""
        if self.schedule == "heuristic":
            self.assistant.generation_config.num_assistant_tokens = self.num_tokens
