"""More logits processors with the reference's names and semantics: biases and bans over token
sequences, prefix constraints, typical / epsilon / eta sampling, length-dependent EOS pressure,
classifier-free guidance and score clean-up.

`build_logits_processors` (in `processors`) adds them when a `GenerationConfig` asks
(`bad_words_ids`, `sequence_bias`, `typical_p`, `epsilon_cutoff`, `eta_cutoff`,
`exponential_decay_length_penalty`, `encoder_repetition_penalty`, `remove_invalid_values`,
`renormalize_logits`, `guidance_scale`) or `generate(prefix_allowed_tokens_fn=...)` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.processors import NEG_INF, LogitsProcessor

__all__ = [
    "AlternatingCodebooksLogitsProcessor",
    "ClassifierFreeGuidanceLogitsProcessor",
    "EncoderRepetitionPenaltyLogitsProcessor",
    "EpsilonLogitsWarper",
    "EtaLogitsWarper",
    "ExponentialDecayLengthPenalty",
    "InfNanRemoveLogitsProcessor",
    "LogitNormalization",
    "NoBadWordsLogitsProcessor",
    "PrefixConstrainedLogitsProcessor",
    "SequenceBiasLogitsProcessor",
    "TypicalLogitsWarper",
    "UnbatchedClassifierFreeGuidanceLogitsProcessor",
]


def _is_token_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _id_list(token_ids: Any, what: str) -> list[int]:
    if isinstance(token_ids, torch.Tensor):
        token_ids = token_ids.tolist()
    ids = [token_ids] if isinstance(token_ids, int) else list(token_ids)
    if not ids or not all(_is_token_id(i) for i in ids):
        raise GenerationError(f"{what} must be a token id or a list of token ids, got {ids!r}.")
    return ids


def _keep_at_least(scores: torch.Tensor, remove: torch.Tensor, count: int) -> torch.Tensor:
    """`remove` without the `count` best-scoring tokens of each row."""
    kth_best = torch.topk(scores, min(count, scores.shape[-1]))[0][..., -1, None]
    return remove & (scores < kth_best)


def _check_cutoff(value: Any, name: str, min_tokens_to_keep: Any) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:
        raise GenerationError(f"{name} must be a number > 0 and < 1, got {value!r}.")
    if not isinstance(min_tokens_to_keep, int) or min_tokens_to_keep < 1:
        raise GenerationError(
            f"min_tokens_to_keep must be an int >= 1, got {min_tokens_to_keep!r}."
        )
    return value


# ------------------------------------------------------------------ sequence biases and bans
class SequenceBiasLogitsProcessor(LogitsProcessor):
    """Add a bias to a sequence's last token wherever the text so far ends with the rest of it.

    `sequence_bias` is `[[token_ids, bias], ...]` or `{tuple(token_ids): bias}`; a one-token
    sequence is biased at every step.
    """

    def __init__(self, sequence_bias: list | dict) -> None:
        if isinstance(sequence_bias, list) and sequence_bias:
            pairs = {}
            for item in sequence_bias:
                if not (isinstance(item, (list, tuple)) and len(item) == 2):
                    raise GenerationError(
                        "sequence_bias must be a list of [token_ids, bias] pairs, got "
                        f"{sequence_bias!r}."
                    )
                pairs[tuple(item[0])] = item[1]
            sequence_bias = pairs
        if not isinstance(sequence_bias, dict) or not sequence_bias:
            raise GenerationError(
                "sequence_bias must be a non-empty {tuple(token_ids): bias} dict or a list of "
                f"[token_ids, bias] pairs, got {sequence_bias!r}."
            )
        for ids, bias in sequence_bias.items():
            if not isinstance(ids, tuple) or not ids or not all(_is_token_id(i) for i in ids):
                raise GenerationError(
                    f"sequence_bias keys must be non-empty tuples of token ids, got {ids!r}."
                )
            if not isinstance(bias, float):
                raise GenerationError(f"sequence_bias values must be floats, got {bias!r}.")
        self.sequence_bias: dict[tuple[int, ...], float] = dict(sequence_bias)
        self._single: torch.Tensor | None = None

    def _single_token_bias(self, scores: torch.Tensor) -> torch.Tensor:
        vocab = scores.shape[-1]
        if self._single is None or self._single.shape[0] != vocab:
            outside = sorted({i for ids in self.sequence_bias for i in ids if i >= vocab})
            if outside:
                raise GenerationError(
                    f"The vocabulary has {vocab} tokens, but sequence_bias / bad_words_ids name "
                    f"token ids {outside}. Use ids below {vocab}."
                )
            bias = torch.zeros(vocab, dtype=torch.float, device=scores.device)
            for ids, value in self.sequence_bias.items():
                if len(ids) == 1:
                    bias[ids[0]] = value
            self._single = bias
        return self._single.to(scores.device)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        bias = torch.zeros_like(scores) + self._single_token_bias(scores)
        length = input_ids.shape[1]
        for ids, value in self.sequence_bias.items():
            if len(ids) == 1 or len(ids) > length:
                continue
            prefix = torch.tensor(ids[:-1], dtype=input_ids.dtype, device=input_ids.device)
            matches = (input_ids[:, -len(prefix) :] == prefix).all(dim=1)
            bias[:, ids[-1]] += torch.where(matches, value, 0.0).to(bias.dtype)
        return scores + bias


class NoBadWordsLogitsProcessor(SequenceBiasLogitsProcessor):
    """Never complete one of `bad_words_ids` (lists of token ids); EOS alone is never banned."""

    def __init__(self, bad_words_ids: list[list[int]], eos_token_id: Any = None) -> None:
        if not isinstance(bad_words_ids, list) or not bad_words_ids:
            raise GenerationError(
                f"bad_words_ids must be a non-empty list of lists of token ids, got {bad_words_ids!r}."
            )
        for ids in bad_words_ids:
            if not isinstance(ids, list) or not all(_is_token_id(i) for i in ids):
                raise GenerationError(
                    f"bad_words_ids must be a list of lists of token ids, got {bad_words_ids!r}."
                )
        self.bad_word_ids = bad_words_ids
        eos = [] if eos_token_id is None else _id_list(eos_token_id, "eos_token_id")
        kept = [ids for ids in bad_words_ids if not (len(ids) == 1 and ids[0] in eos)]
        super().__init__({tuple(ids): NEG_INF for ids in kept})


class PrefixConstrainedLogitsProcessor(LogitsProcessor):
    """Allow only the tokens `prefix_allowed_tokens_fn(batch_id, ids_so_far)` returns."""

    def __init__(
        self, prefix_allowed_tokens_fn: Callable[[int, torch.Tensor], list[int]], num_beams: int
    ) -> None:
        if not callable(prefix_allowed_tokens_fn):
            raise GenerationError("prefix_allowed_tokens_fn must be a callable(batch_id, ids).")
        self._prefix_allowed_tokens_fn = prefix_allowed_tokens_fn
        self._num_beams = int(num_beams)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        mask = torch.full_like(scores, NEG_INF)
        for row in range(input_ids.shape[0]):
            batch_id = row // self._num_beams
            allowed = list(self._prefix_allowed_tokens_fn(batch_id, input_ids[row]))
            if not allowed:
                raise GenerationError(
                    f"prefix_allowed_tokens_fn returned no token for batch id {batch_id}: the "
                    "constraint cannot be satisfied. Return at least one allowed token id."
                )
            mask[row, allowed] = 0
        return scores + mask


class EncoderRepetitionPenaltyLogitsProcessor(LogitsProcessor):
    """Make tokens of the encoder's input more likely (`penalty` > 1) or less likely (< 1)."""

    def __init__(self, penalty: float, encoder_input_ids: torch.LongTensor) -> None:
        if not isinstance(penalty, float) or not penalty > 0:
            raise GenerationError(
                f"encoder_repetition_penalty must be a float > 0, got {penalty!r}."
            )
        self.penalty = 1 / penalty
        self.encoder_input_ids = encoder_input_ids

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        ids = self.encoder_input_ids.to(scores.device)
        seen = torch.gather(scores, 1, ids)
        seen = torch.where(seen < 0, seen * self.penalty, seen / self.penalty)
        return scores.scatter(1, ids, seen)


class ExponentialDecayLengthPenalty(LogitsProcessor):
    """After `start` new tokens, raise EOS scores by a factor growing as `factor ** steps`."""

    def __init__(
        self,
        exponential_decay_length_penalty: tuple[int, float],
        eos_token_id: Any,
        input_ids_seq_length: int,
    ) -> None:
        start, factor = exponential_decay_length_penalty
        self.regulation_start = int(start) + int(input_ids_seq_length)
        self.regulation_factor = float(factor)
        self.eos_token_id = torch.tensor(_id_list(eos_token_id, "eos_token_id"))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        steps = input_ids.shape[-1] - self.regulation_start
        if steps <= 0:
            return scores
        eos = self.eos_token_id.to(scores.device)
        penalties = torch.zeros_like(scores)
        penalties[:, eos] = scores[:, eos].abs() * (self.regulation_factor**steps - 1)
        return scores + penalties


# ------------------------------------------------------------------------------ warpers
class TypicalLogitsWarper(LogitsProcessor):
    """Keep the tokens whose surprise is closest to the entropy, up to probability `mass`."""

    def __init__(
        self, mass: float = 0.9, filter_value: float = NEG_INF, min_tokens_to_keep: int = 1
    ):
        self.mass = _check_cutoff(mass, "typical_p", min_tokens_to_keep)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        log_probs = scores.log_softmax(dim=-1)
        entropy = -(log_probs * log_probs.exp()).nansum(-1, keepdim=True)
        distance = (-log_probs - entropy).abs()
        sorted_distance, order = torch.sort(distance, descending=False)
        cumulative = scores.gather(-1, order).softmax(dim=-1).cumsum(dim=-1)
        last = (cumulative < self.mass).sum(dim=1).clamp(max=distance.shape[-1] - 1)
        drop_sorted = sorted_distance > sorted_distance.gather(1, last.view(-1, 1))
        drop_sorted[..., : self.min_tokens_to_keep] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop, self.filter_value)


class EpsilonLogitsWarper(LogitsProcessor):
    """Drop tokens whose probability is below `epsilon`."""

    def __init__(self, epsilon: float, filter_value: float = NEG_INF, min_tokens_to_keep: int = 1):
        self.epsilon = _check_cutoff(epsilon, "epsilon_cutoff", min_tokens_to_keep)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        remove = scores.softmax(dim=-1) < self.epsilon
        remove = _keep_at_least(scores, remove, self.min_tokens_to_keep)
        return scores.masked_fill(remove, self.filter_value)


class EtaLogitsWarper(LogitsProcessor):
    """Drop tokens below `min(epsilon, sqrt(epsilon) * exp(-entropy))` (eta sampling)."""

    def __init__(
        self,
        epsilon: float,
        filter_value: float = NEG_INF,
        min_tokens_to_keep: int = 1,
        device: str | torch.device = "cpu",
    ) -> None:
        value = _check_cutoff(epsilon, "eta_cutoff", min_tokens_to_keep)
        self.epsilon = torch.tensor(value, device=device)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        epsilon = self.epsilon.to(scores.device)
        entropy = torch.distributions.Categorical(logits=scores).entropy()
        eta = torch.min(epsilon, epsilon.sqrt() * torch.exp(-entropy))[..., None]
        remove = _keep_at_least(scores, scores.softmax(dim=-1) < eta, self.min_tokens_to_keep)
        return scores.masked_fill(remove, self.filter_value)


# ----------------------------------------------------------------------- score clean-up
class InfNanRemoveLogitsProcessor(LogitsProcessor):
    """NaN becomes 0, +inf the largest and -inf the smallest finite value of the dtype."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        info = torch.finfo(scores.dtype)
        return torch.nan_to_num(scores, nan=0.0, posinf=info.max, neginf=info.min)


class LogitNormalization(LogitsProcessor):
    """Log-softmax the scores (`renormalize_logits=True`: after every other processor)."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores.log_softmax(dim=-1)


# ------------------------------------------------------------------ classifier-free guidance
def _check_guidance(scale: Any) -> float:
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise GenerationError(f"guidance_scale must be a number, got {scale!r}.")
    return float(scale)


class ClassifierFreeGuidanceLogitsProcessor(LogitsProcessor):
    """Scores for a doubled batch (conditional rows, then unconditional ones) mixed as
    `uncond + scale * (cond - uncond)`; the output has the undoubled batch size."""

    def __init__(self, guidance_scale: float) -> None:
        scale = _check_guidance(guidance_scale)
        if not scale > 1:
            raise GenerationError(f"guidance_scale must be > 1 for guidance, got {scale!r}.")
        self.guidance_scale = scale

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if scores.shape[0] != 2 * input_ids.shape[0]:
            raise GenerationError(
                "ClassifierFreeGuidanceLogitsProcessor expects scores for twice the batch of "
                f"input_ids (conditional rows, then unconditional ones); got {scores.shape[0]} "
                f"score rows for {input_ids.shape[0]} sequences."
            )
        cond, uncond = scores.split(scores.shape[0] // 2, dim=0)
        return uncond + (cond - uncond) * self.guidance_scale


class UnbatchedClassifierFreeGuidanceLogitsProcessor(LogitsProcessor):
    """Guidance from a second, unconditional pass of `model` (its prompt: `unconditional_ids`,
    by default the last prompt token), run step by step alongside generation with its own cache.
    Returns `uncond + scale * (cond - uncond)` over log-probabilities."""

    def __init__(
        self,
        guidance_scale: float,
        model: Any,
        unconditional_ids: torch.LongTensor | None = None,
        unconditional_attention_mask: torch.LongTensor | None = None,
        use_cache: bool = True,
    ) -> None:
        self.guidance_scale = _check_guidance(guidance_scale)
        self.model = model
        self.unconditional_ids = unconditional_ids
        self.unconditional_attention_mask = unconditional_attention_mask
        self.use_cache = bool(use_cache)
        self._past: Any = None
        self._first = True

    def _unconditional_logits(self, input_ids: torch.LongTensor) -> torch.Tensor:
        if self._first:
            if self.unconditional_ids is None:
                self.unconditional_ids = input_ids[:, -1:]
            if self.unconditional_attention_mask is None:
                self.unconditional_attention_mask = torch.ones_like(self.unconditional_ids)
            ids, mask = self.unconditional_ids, self.unconditional_attention_mask
            self._first = False
        else:
            step = input_ids[:, -1:]
            mask = torch.cat([self.unconditional_attention_mask, torch.ones_like(step)], dim=1)
            ids = step if self.use_cache else torch.cat([self.unconditional_ids, step], dim=1)
            self.unconditional_ids, self.unconditional_attention_mask = ids, mask
        with torch.no_grad():
            out = self.model(
                ids, attention_mask=mask, use_cache=self.use_cache, past_key_values=self._past
            )
        self._past = getattr(out, "past_key_values", None) if self.use_cache else None
        return out.logits[:, -1]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        scores = scores.log_softmax(dim=-1)
        if self.guidance_scale == 1:
            return scores
        uncond = self._unconditional_logits(input_ids).log_softmax(dim=-1).to(scores.dtype)
        return self.guidance_scale * (scores - uncond) + uncond


# -------------------------------------------------------------------------- audio tokens
class AlternatingCodebooksLogitsProcessor(LogitsProcessor):
    """Alternate between two codebooks after the semantic vocabulary (Bark's coarse tokens)."""

    def __init__(self, input_start_len: int, semantic_vocab_size: int, codebook_size: int):
        if not isinstance(input_start_len, int) or input_start_len < 0:
            raise GenerationError(f"input_start_len must be an int >= 0, got {input_start_len!r}.")
        self.input_start_len = input_start_len
        self.semantic_vocab_size = semantic_vocab_size
        self.codebook_size = codebook_size

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        first = (input_ids.shape[-1] - self.input_start_len) % 2 == 0
        semantic, end = self.semantic_vocab_size, self.semantic_vocab_size + self.codebook_size
        out = scores.clone()
        if first:
            out[:, :semantic] = NEG_INF
            out[:, end:] = NEG_INF
        else:
            out[:, :end] = NEG_INF
        return out
