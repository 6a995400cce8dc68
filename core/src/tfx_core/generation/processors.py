"""Logits processors and warpers: each maps `(input_ids, scores) -> scores` for one step.

`input_ids` is `[batch, length]` (prompt, left padding included, plus generated tokens) and
`scores` is `[batch, vocab]`. The semantics (and the order `build_logits_processors` applies them
in) are the reference library's, so filtered scores match it exactly; the implementations avoid
host synchronisation and Python loops over the batch so they stay cheap per step. Calling a
processor never modifies its input; `apply_` (used by the decoding loops on score buffers they
own) may, which lets the token-set processors touch only their few columns instead of copying
the whole `[batch, vocab]` tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig

__all__ = [
    "EncoderNoRepeatNGramLogitsProcessor",
    "ForcedBOSTokenLogitsProcessor",
    "ForcedEOSTokenLogitsProcessor",
    "LogitsProcessor",
    "LogitsProcessorList",
    "MinLengthLogitsProcessor",
    "MinNewTokensLengthLogitsProcessor",
    "MinPLogitsWarper",
    "NoRepeatNGramLogitsProcessor",
    "RepetitionPenaltyLogitsProcessor",
    "SuppressTokensAtBeginLogitsProcessor",
    "SuppressTokensLogitsProcessor",
    "TemperatureLogitsWarper",
    "TopKLogitsWarper",
    "TopPLogitsWarper",
    "build_logits_processors",
]

NEG_INF = -float("inf")


class LogitsProcessor:
    """Base class: `__call__(input_ids, scores) -> scores`."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        raise NotImplementedError

    def apply_(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """Like calling the processor, but it may write into `scores` (the caller owns it)."""
        return self(input_ids, scores)


class LogitsProcessorList(list):
    """Applies its processors in order."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for processor in self:
            scores = processor(input_ids, scores)
        return scores

    def apply_(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """Apply in order, letting each processor write into `scores` where it can.

        Plain callables (a caller's own processors) are called as they are.
        """
        for processor in self:
            in_place = getattr(processor, "apply_", None)
            scores = (
                processor(input_ids, scores) if in_place is None else in_place(input_ids, scores)
            )
        return scores


def _token_mask(token_ids: Iterable[int], vocab_size: int, device: torch.device) -> torch.Tensor:
    """A `[vocab]` bool mask of `token_ids` (ids outside the vocabulary are ignored)."""
    mask = torch.zeros(vocab_size, dtype=torch.bool, device=device)
    ids = [i for i in token_ids if 0 <= i < vocab_size]
    if ids:
        mask[torch.tensor(ids, device=device)] = True
    return mask


class _TokenMaskProcessor(LogitsProcessor):
    """Shared by processors that set a fixed token set to -inf; the mask is built once."""

    def __init__(self, token_ids: Sequence[int]) -> None:
        self.token_ids = [int(i) for i in token_ids]
        self._mask: torch.Tensor | None = None
        self._index: torch.Tensor | None = None
        self._index_vocab = -1

    def active(self, input_ids: torch.LongTensor) -> bool:
        """Whether the tokens are suppressed at this step (always, unless a subclass says)."""
        return True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return self.suppress(scores) if self.active(input_ids) else scores

    def apply_(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """Set the few suppressed columns of `scores` to -inf in place (no copy of the rest)."""
        if type(self).__call__ is not _TokenMaskProcessor.__call__:  # a subclass's own rule
            return self(input_ids, scores)
        if self.active(input_ids):
            scores.index_fill_(-1, self.index_for(scores), NEG_INF)
        return scores

    def index_for(self, scores: torch.Tensor) -> torch.Tensor:
        """The suppressed ids inside the vocabulary, as an index tensor on `scores`' device."""
        index = self._index
        vocab = scores.shape[-1]
        if index is None or index.device != scores.device or self._index_vocab != vocab:
            ids = [i for i in self.token_ids if 0 <= i < vocab]
            index = self._index = torch.tensor(ids, dtype=torch.long, device=scores.device)
            self._index_vocab = vocab
        return index

    def mask_for(self, scores: torch.Tensor) -> torch.Tensor:
        mask = self._mask
        if mask is None or mask.shape[0] != scores.shape[-1] or mask.device != scores.device:
            mask = self._mask = _token_mask(self.token_ids, scores.shape[-1], scores.device)
        return mask

    def suppress(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.masked_fill(self.mask_for(scores), NEG_INF)


# ----------------------------------------------------------------------------- penalties
class RepetitionPenaltyLogitsProcessor(LogitsProcessor):
    """Divide positive (multiply negative) scores of tokens already in `input_ids` by `penalty`."""

    def __init__(self, penalty: float, prompt_ignore_length: int | None = None) -> None:
        if not isinstance(penalty, (int, float)) or not penalty > 0:
            raise GenerationError(f"repetition_penalty must be > 0, got {penalty!r}.")
        if prompt_ignore_length is not None and (
            not isinstance(prompt_ignore_length, int) or prompt_ignore_length < 0
        ):
            raise GenerationError(
                f"prompt_ignore_length must be an int >= 0, got {prompt_ignore_length!r}."
            )
        self.penalty = float(penalty)
        self.prompt_ignore_length = prompt_ignore_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.prompt_ignore_length:  # only generated tokens count
            input_ids = input_ids[:, self.prompt_ignore_length :]
        seen = torch.gather(scores, 1, input_ids)
        seen = torch.where(seen < 0, seen * self.penalty, seen / self.penalty)
        return scores.scatter(1, input_ids, seen)


class NoRepeatNGramLogitsProcessor(LogitsProcessor):
    """Ban tokens that would repeat an n-gram already present in the sequence (prompt included).

    Vectorised: every window of `ngram_size` tokens whose first `n-1` tokens equal the last `n-1`
    tokens of the row bans its last token; no host round trip.
    """

    def __init__(self, ngram_size: int) -> None:
        if not isinstance(ngram_size, int) or ngram_size <= 0:
            raise GenerationError(f"no_repeat_ngram_size must be an int > 0, got {ngram_size!r}.")
        self.ngram_size = ngram_size

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        n = self.ngram_size
        length = input_ids.shape[-1]
        if length + 1 < n or length - n + 1 <= 0:
            return scores
        windows = input_ids.unfold(1, n, 1)  # [batch, length - n + 1, n]
        if n == 1:
            matches = torch.ones(windows.shape[:2], dtype=torch.bool, device=scores.device)
        else:
            prefix = input_ids[:, length - n + 1 :]
            matches = (windows[:, :, :-1] == prefix[:, None, :]).all(-1)
        penalty = torch.where(matches, NEG_INF, 0.0).to(scores.dtype)
        banned = torch.zeros_like(scores).scatter_reduce(
            1, windows[:, :, -1], penalty, reduce="amin", include_self=True
        )
        return scores + banned


class EncoderNoRepeatNGramLogitsProcessor(LogitsProcessor):
    """Ban tokens that would copy an n-gram of the encoder's input (encoder-decoder models).

    Every window of `ngram_size` source tokens whose first `n-1` tokens equal the last `n-1`
    generated tokens bans its last token. Rows are hypotheses: `batch * beams` of them, hypothesis
    `h` reading source row `h // beams`. Padding tokens count as source tokens, as in the reference.
    """

    def __init__(self, encoder_ngram_size: int, encoder_input_ids: torch.LongTensor) -> None:
        if not isinstance(encoder_ngram_size, int) or encoder_ngram_size <= 0:
            raise GenerationError(
                f"encoder_no_repeat_ngram_size must be an int > 0, got {encoder_ngram_size!r}."
            )
        if encoder_input_ids.dim() == 1:
            encoder_input_ids = encoder_input_ids.unsqueeze(0)
        self.ngram_size = encoder_ngram_size
        self.batch_size = encoder_input_ids.shape[0]
        n = encoder_ngram_size
        if encoder_input_ids.shape[1] >= n:
            self.windows = encoder_input_ids.unfold(1, n, 1)  # [batch, source - n + 1, n]
        else:
            self.windows = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        n = self.ngram_size
        length = input_ids.shape[-1]
        if self.windows is None or length < n - 1:
            return scores
        beams = scores.shape[0] // self.batch_size
        windows = self.windows.to(input_ids.device).repeat_interleave(beams, dim=0)
        if n == 1:
            matches = torch.ones(windows.shape[:2], dtype=torch.bool, device=scores.device)
        else:
            prefix = input_ids[:, length - n + 1 :]
            matches = (windows[:, :, :-1] == prefix[:, None, :]).all(-1)
        penalty = torch.where(matches, NEG_INF, 0.0).to(scores.dtype)
        banned = torch.zeros_like(scores).scatter_reduce(
            1, windows[:, :, -1], penalty, reduce="amin", include_self=True
        )
        return scores + banned


class MinLengthLogitsProcessor(_TokenMaskProcessor):
    """Forbid end-of-sequence tokens while the sequence (prompt included) is shorter than `min_length`."""

    def __init__(
        self, min_length: int, eos_token_id: int | Sequence[int], device: Any = "cpu"
    ) -> None:
        if not isinstance(min_length, int) or min_length < 0:
            raise GenerationError(f"min_length must be an int >= 0, got {min_length!r}.")
        super().__init__([eos_token_id] if isinstance(eos_token_id, int) else eos_token_id)
        self.min_length = min_length

    def active(self, input_ids: torch.LongTensor) -> bool:
        return input_ids.shape[-1] < self.min_length


class MinNewTokensLengthLogitsProcessor(_TokenMaskProcessor):
    """Forbid end-of-sequence tokens until `min_new_tokens` tokens were generated after the prompt."""

    def __init__(
        self,
        prompt_length_to_skip: int,
        min_new_tokens: int,
        eos_token_id: int | Sequence[int],
        device: Any = "cpu",
    ) -> None:
        if not isinstance(min_new_tokens, int) or min_new_tokens < 0:
            raise GenerationError(f"min_new_tokens must be an int >= 0, got {min_new_tokens!r}.")
        super().__init__([eos_token_id] if isinstance(eos_token_id, int) else eos_token_id)
        self.prompt_length_to_skip = prompt_length_to_skip
        self.min_new_tokens = min_new_tokens

    def active(self, input_ids: torch.LongTensor) -> bool:
        return input_ids.shape[-1] - self.prompt_length_to_skip < self.min_new_tokens


class SuppressTokensLogitsProcessor(_TokenMaskProcessor):
    """Never generate the given tokens."""

    def __init__(self, suppress_tokens: Sequence[int], device: Any = "cpu") -> None:
        super().__init__(suppress_tokens)


class SuppressTokensAtBeginLogitsProcessor(_TokenMaskProcessor):
    """Do not generate the given tokens as the first generated token (at `begin_index`)."""

    def __init__(
        self, begin_suppress_tokens: Sequence[int], begin_index: int, device: Any = "cpu"
    ) -> None:
        super().__init__(begin_suppress_tokens)
        self.begin_index = begin_index

    def active(self, input_ids: torch.LongTensor) -> bool:
        return input_ids.shape[-1] == self.begin_index


class _ForceTokenProcessor(LogitsProcessor):
    def __init__(self, token_ids: Sequence[int]) -> None:
        self.token_ids = list(token_ids)

    def force(self, scores: torch.Tensor) -> torch.Tensor:
        keep = _token_mask(self.token_ids, scores.shape[-1], scores.device)
        return torch.where(keep, torch.zeros_like(scores), torch.full_like(scores, NEG_INF))


class ForcedBOSTokenLogitsProcessor(_ForceTokenProcessor):
    """Make `bos_token_id` the first generated token (when generation starts from one token)."""

    def __init__(self, bos_token_id: int) -> None:
        super().__init__([bos_token_id])

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return self.force(scores) if input_ids.shape[-1] == 1 else scores


class ForcedEOSTokenLogitsProcessor(_ForceTokenProcessor):
    """Make an end-of-sequence token the last token when `max_length` is reached."""

    def __init__(
        self, max_length: int, eos_token_id: int | Sequence[int], device: Any = "cpu"
    ) -> None:
        super().__init__([eos_token_id] if isinstance(eos_token_id, int) else eos_token_id)
        self.max_length = max_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return self.force(scores) if input_ids.shape[-1] == self.max_length - 1 else scores


# ----------------------------------------------------------------------------- warpers
class TemperatureLogitsWarper(LogitsProcessor):
    """Divide scores by `temperature` (< 1 sharpens, > 1 flattens the distribution)."""

    def __init__(self, temperature: float) -> None:
        if not isinstance(temperature, (int, float)) or not temperature > 0:
            raise GenerationError(
                f"temperature must be > 0, got {temperature!r}; for greedy decoding set "
                "do_sample=False."
            )
        self.temperature = float(temperature)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores / self.temperature


class TopKLogitsWarper(LogitsProcessor):
    """Keep the `top_k` highest scores (ties with the k-th are kept), -inf elsewhere."""

    def __init__(self, top_k: int, filter_value: float = NEG_INF, min_tokens_to_keep: int = 1):
        if not isinstance(top_k, int) or top_k <= 0:
            raise GenerationError(f"top_k must be an int > 0, got {top_k!r}.")
        self.top_k = max(top_k, min_tokens_to_keep)
        self.filter_value = filter_value

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        k = min(self.top_k, scores.shape[-1])
        kth = torch.topk(scores, k)[0][..., -1:]
        return scores.masked_fill(scores < kth, self.filter_value)


class TopPLogitsWarper(LogitsProcessor):
    """Nucleus filtering: keep the smallest set of top tokens whose probability reaches `top_p`."""

    def __init__(self, top_p: float, filter_value: float = NEG_INF, min_tokens_to_keep: int = 1):
        top_p = float(top_p)
        if not 0.0 < top_p <= 1.0:
            raise GenerationError(f"top_p must be in (0, 1], got {top_p!r}.")
        if not isinstance(min_tokens_to_keep, int) or min_tokens_to_keep < 1:
            raise GenerationError(f"min_tokens_to_keep must be >= 1, got {min_tokens_to_keep!r}.")
        self.top_p = top_p
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        ascending, order = torch.sort(scores, descending=False)
        cumulative = ascending.softmax(dim=-1).cumsum(dim=-1)
        drop_sorted = cumulative <= (1 - self.top_p)
        drop_sorted[..., -self.min_tokens_to_keep :] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop, self.filter_value)


class MinPLogitsWarper(LogitsProcessor):
    """Drop tokens whose probability is below `min_p` times the top token's probability."""

    def __init__(self, min_p: float, filter_value: float = NEG_INF, min_tokens_to_keep: int = 1):
        if not isinstance(min_p, (int, float)) or not 0.0 <= min_p <= 1.0:
            raise GenerationError(f"min_p must be in [0, 1], got {min_p!r}.")
        if not isinstance(min_tokens_to_keep, int) or min_tokens_to_keep < 1:
            raise GenerationError(f"min_tokens_to_keep must be >= 1, got {min_tokens_to_keep!r}.")
        self.min_p = float(min_p)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        probs = torch.softmax(scores, dim=-1)
        threshold = self.min_p * probs.max(dim=-1, keepdim=True)[0]
        drop = probs < threshold
        order = torch.argsort(scores, descending=True, dim=-1)
        drop_sorted = torch.gather(drop, -1, order)
        drop_sorted[..., : self.min_tokens_to_keep] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop, self.filter_value)


# ----------------------------------------------------------------------------- assembly
def build_logits_processors(
    config: GenerationConfig,
    *,
    prompt_length: int,
    eos_token_ids: Sequence[int] | None,
    extra: Iterable[LogitsProcessor] = (),
    encoder_input_ids: torch.LongTensor | None = None,
    prefix_allowed_tokens_fn: Callable[[int, torch.Tensor], list[int]] | None = None,
    guidance: LogitsProcessor | None = None,
) -> LogitsProcessorList:
    """The processors a generation config asks for, in the reference's order.

    Guidance (`guidance`, built by the caller with the model) first, then penalties and
    constraints, then the caller's own `extra` processors, then (only when sampling) the
    warpers: temperature, top-k, top-p, min-p, typical, epsilon, eta; `renormalize_logits` last.
    """
    from tfx_core.generation import processors_extra as more

    processors = LogitsProcessorList()
    eos = list(eos_token_ids) if eos_token_ids else []
    if guidance is not None:
        processors.append(guidance)
    if config.sequence_bias is not None:
        processors.append(more.SequenceBiasLogitsProcessor(_bias_pairs(config.sequence_bias)))
    penalty = config.encoder_repetition_penalty
    if penalty is not None and penalty != 1.0:
        if encoder_input_ids is None:
            raise GenerationError(
                "encoder_repetition_penalty favours (or avoids) the encoder's input tokens: it "
                "needs an encoder-decoder model given input_ids. Leave it at 1.0 otherwise."
            )
        processors.append(
            more.EncoderRepetitionPenaltyLogitsProcessor(float(penalty), encoder_input_ids)
        )
    if config.repetition_penalty is not None and config.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty))
    if config.no_repeat_ngram_size:
        processors.append(NoRepeatNGramLogitsProcessor(config.no_repeat_ngram_size))
    if config.encoder_no_repeat_ngram_size:
        if encoder_input_ids is None:
            raise GenerationError(
                "encoder_no_repeat_ngram_size bans copies of the encoder's input: it needs an "
                "encoder-decoder model given input_ids. Set it to 0 for this model or request."
            )
        processors.append(
            EncoderNoRepeatNGramLogitsProcessor(
                config.encoder_no_repeat_ngram_size, encoder_input_ids
            )
        )
    if config.bad_words_ids is not None:
        processors.append(more.NoBadWordsLogitsProcessor(config.bad_words_ids, eos or None))
    if eos and config.min_length:
        processors.append(MinLengthLogitsProcessor(config.min_length, eos))
    if eos and config.min_new_tokens and config.min_length != prompt_length + config.min_new_tokens:
        # (when `min_length` was derived from `min_new_tokens`, the processor above suppresses
        # the same tokens at the same steps: a second one would only repeat its work)
        processors.append(
            MinNewTokensLengthLogitsProcessor(prompt_length, config.min_new_tokens, eos)
        )
    if prefix_allowed_tokens_fn is not None:
        processors.append(
            more.PrefixConstrainedLogitsProcessor(prefix_allowed_tokens_fn, config.num_beams)
        )
    if config.forced_bos_token_id is not None:
        processors.append(ForcedBOSTokenLogitsProcessor(config.forced_bos_token_id))
    if config.forced_eos_token_id is not None:
        processors.append(
            ForcedEOSTokenLogitsProcessor(config.max_length, config.forced_eos_token_id)
        )
    if config.remove_invalid_values is True:
        processors.append(more.InfNanRemoveLogitsProcessor())
    if config.exponential_decay_length_penalty is not None:
        if not eos:
            raise GenerationError(
                "exponential_decay_length_penalty pushes end-of-sequence tokens up: set "
                "eos_token_id in the generation config."
            )
        processors.append(
            more.ExponentialDecayLengthPenalty(
                config.exponential_decay_length_penalty, eos, prompt_length
            )
        )
    if config.suppress_tokens is not None:
        processors.append(SuppressTokensLogitsProcessor(config.suppress_tokens))
    if config.begin_suppress_tokens is not None:
        begin = prompt_length
        if prompt_length <= 1 and config.forced_bos_token_id is not None:
            begin += 1
        processors.append(SuppressTokensAtBeginLogitsProcessor(config.begin_suppress_tokens, begin))
    processors.extend(extra)
    if config.do_sample:
        # beam sampling keeps enough candidates to continue past end-of-sequence tokens
        keep = (len(eos) + 1 if eos else 2) if config.num_beams > 1 else 1
        if config.temperature is not None and config.temperature != 1.0:
            processors.append(TemperatureLogitsWarper(config.temperature))
        if config.top_k is not None and config.top_k != 0:
            processors.append(TopKLogitsWarper(config.top_k, min_tokens_to_keep=keep))
        if config.top_p is not None and config.top_p < 1.0:
            processors.append(TopPLogitsWarper(config.top_p, min_tokens_to_keep=keep))
        if config.min_p is not None:
            processors.append(MinPLogitsWarper(config.min_p, min_tokens_to_keep=keep))
        if config.typical_p is not None and config.typical_p < 1.0:
            processors.append(more.TypicalLogitsWarper(config.typical_p, min_tokens_to_keep=keep))
        if config.epsilon_cutoff is not None and 0.0 < config.epsilon_cutoff < 1.0:
            processors.append(
                more.EpsilonLogitsWarper(config.epsilon_cutoff, min_tokens_to_keep=keep)
            )
        if config.eta_cutoff is not None and 0.0 < config.eta_cutoff < 1.0:
            processors.append(more.EtaLogitsWarper(config.eta_cutoff, min_tokens_to_keep=keep))
    if config.watermarking_config is not None:
        from tfx_core.generation.watermark import watermark_from_config

        processors.append(watermark_from_config(config.watermarking_config))
    if config.renormalize_logits is True:
        processors.append(more.LogitNormalization())
    return processors


def _bias_pairs(sequence_bias: Any) -> Any:
    """`sequence_bias` from a JSON file is a list of [ids, bias]; tuples keys stay as they are."""
    if isinstance(sequence_bias, list):
        return [
            [list(item[0]), float(item[1])]
            if isinstance(item, (list, tuple))
            and len(item) == 2
            and isinstance(item[0], (list, tuple))
            and isinstance(item[1], (int, float))
            else item
            for item in sequence_bias
        ]
    return sequence_bias
