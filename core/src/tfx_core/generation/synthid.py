"""SynthID Text watermarking (Dathathri et al., Nature 2024) with the reference's hashing, so
text tfx watermarks scores the same under the reference's detectors and vice versa.

Each step hashes the last `ngram_len - 1` tokens with each candidate token and each of the
`keys` (one per "depth") into a table of random bits (the g-values); the distribution is then
tilted, depth by depth, towards tokens whose g-value is 1 (tournament sampling in expectation).
A context already seen (the last `context_history_size` contexts) is left unwatermarked.
"""

from __future__ import annotations

from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.processors import LogitsProcessor

__all__ = ["SynthIDTextWatermarkLogitsProcessor", "SynthIDTextWatermarkState"]

#: The multiplier and increment of the linear-congruential hash (int64, wrapping).
_MULTIPLIER = 6364136223846793005
_INCREMENT = 1


class SynthIDTextWatermarkState:
    """Per-generation state: the current context and the hashes of recent contexts."""

    def __init__(
        self, batch_size: int, ngram_len: int, context_history_size: int, device: Any
    ) -> None:
        self.context = torch.zeros((batch_size, ngram_len - 1), dtype=torch.int64, device=device)
        self.context_history = torch.zeros(
            (batch_size, context_history_size), dtype=torch.int64, device=device
        )
        self.num_calls = 0


class SynthIDTextWatermarkLogitsProcessor(LogitsProcessor):
    """Watermark scores with SynthID Text; the reference's arguments and helper methods."""

    def __init__(
        self,
        ngram_len: int,
        keys: list[int],
        sampling_table_size: int,
        sampling_table_seed: int,
        context_history_size: int,
        device: Any,
        skip_first_ngram_calls: bool = False,
        debug_mode: bool = False,
    ) -> None:
        if ngram_len < 1:
            raise GenerationError(f"ngram_len must be at least 1, got {ngram_len}.")
        if not keys:
            raise GenerationError("SynthID needs at least one watermarking key (keys=[...]).")
        if sampling_table_size < 1:
            raise GenerationError(
                f"sampling_table_size must be positive, got {sampling_table_size}."
            )
        self.ngram_len = ngram_len
        self.keys = torch.tensor(keys, device=device)
        generator = torch.Generator(device=device).manual_seed(sampling_table_seed)
        self.sampling_table = torch.randint(
            0, 2, (sampling_table_size,), generator=generator, device=device
        )
        self.context_history_size = context_history_size
        self.device = device
        self.state: SynthIDTextWatermarkState | None = None
        self.skip_first_ngram_calls = skip_first_ngram_calls
        self.debug_mode = debug_mode

    def _init_state(self, batch_size: int) -> None:
        self.state = SynthIDTextWatermarkState(
            batch_size, self.ngram_len, self.context_history_size, self.device
        )

    # ------------------------------------------------------------------ hashing
    @staticmethod
    def accumulate_hash(
        current_hash: torch.LongTensor,
        data: torch.LongTensor,
        multiplier: int = _MULTIPLIER,
        increment: int = _INCREMENT,
    ) -> torch.LongTensor:
        """Fold the last dimension of `data` into `current_hash`: `h = (h + x) * m + c`."""
        for i in range(data.shape[-1]):
            current_hash = (current_hash + data[..., i]) * multiplier + increment
        return current_hash

    def _with_keys(self, hashes: torch.LongTensor) -> torch.LongTensor:
        """`hashes [...]` folded with each key: `[..., depth]`."""
        return self.accumulate_hash(hashes[..., None], self.keys[..., None])

    def compute_ngram_keys(self, ngrams: torch.LongTensor) -> torch.LongTensor:
        """Hashes `[batch, num_ngrams, depth]` of ngrams `[batch, num_ngrams, ngram_len]`."""
        if ngrams.dim() != 3 or ngrams.shape[2] != self.ngram_len:
            raise GenerationError(
                f"ngrams must be [batch, num_ngrams, {self.ngram_len}], got {tuple(ngrams.shape)}."
            )
        start = torch.ones(ngrams.shape[:2], device=ngrams.device, dtype=torch.long)
        return self._with_keys(self.accumulate_hash(start, ngrams))

    def _compute_keys(
        self, n_minus_1_grams: torch.LongTensor, indices: torch.LongTensor
    ) -> tuple[torch.LongTensor, torch.LongTensor]:
        """Hashes of context + each candidate `[batch, vocab, depth]`, and of the context."""
        start = torch.ones(n_minus_1_grams.shape[0], device=self.device, dtype=torch.long)
        context_hash = self.accumulate_hash(start, n_minus_1_grams)
        with_token = self.accumulate_hash(context_hash[:, None], indices[:, :, None])
        return self._with_keys(with_token), context_hash

    def sample_g_values(self, ngram_keys: torch.LongTensor) -> torch.LongTensor:
        """The table's bits at `ngram_keys` (modulo its size)."""
        size = self.sampling_table.shape[0]
        return self.sampling_table[ngram_keys % size]

    # ------------------------------------------------------------------ scores
    def update_scores(self, scores: torch.FloatTensor, g_values: torch.Tensor) -> torch.FloatTensor:
        """Tilt the distribution of `scores` towards g = 1, depth by depth (log-probs)."""
        probs = torch.softmax(scores, dim=1)
        for depth in range(g_values.shape[2]):
            g = g_values[:, :, depth]
            mass = (g * probs).sum(dim=1, keepdim=True)
            probs = probs * (1 + g - mass)
        log_probs = torch.log(probs)
        return torch.where(torch.isfinite(log_probs), log_probs, torch.finfo(log_probs.dtype).min)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self._check_input_ids_shape(input_ids)
        batch, vocab = scores.shape
        if self.debug_mode:
            scores = torch.ones_like(scores)
        if self.state is None:
            self._init_state(batch)
        else:
            context = torch.cat((self.state.context, input_ids[:, -1:]), dim=1)
            self.state.context = context[:, 1:]
        state = self.state
        state.num_calls += 1
        if self.skip_first_ngram_calls and state.num_calls < self.ngram_len:
            return scores
        indices = torch.arange(vocab, device=self.device).expand(batch, vocab)
        ngram_keys, context_hash = self._compute_keys(state.context, indices)
        updated = self.update_scores(scores, self.sample_g_values(ngram_keys))
        context_hash = context_hash[:, None]
        repeated = (state.context_history == context_hash).any(dim=1, keepdim=True)
        state.context_history = torch.cat((context_hash, state.context_history), dim=1)[:, :-1]
        return torch.where(repeated, scores, updated)

    # ------------------------------------------------------------------ detection helpers
    def _check_input_ids_shape(self, input_ids: torch.LongTensor) -> None:
        if input_ids.dim() != 2:
            raise GenerationError(
                f"input_ids must be [batch, length], got shape {tuple(input_ids.shape)}."
            )

    def compute_g_values(self, input_ids: torch.LongTensor) -> torch.LongTensor:
        """g-values `[batch, length - ngram_len + 1, depth]` of a sequence's ngrams."""
        self._check_input_ids_shape(input_ids)
        ngrams = input_ids.unfold(dimension=1, size=self.ngram_len, step=1)
        return self.sample_g_values(self.compute_ngram_keys(ngrams))

    def compute_context_repetition_mask(self, input_ids: torch.LongTensor) -> torch.Tensor:
        """True where an ngram's context was not among the recent contexts (watermarked)."""
        self._check_input_ids_shape(input_ids)
        batch = input_ids.shape[0]
        history = torch.zeros(
            (batch, self.context_history_size), dtype=torch.int64, device=input_ids.device
        )
        contexts = input_ids[:, :-1].unfold(dimension=1, size=self.ngram_len - 1, step=1)
        repeated = []
        for i in range(contexts.shape[1]):
            start = torch.ones(batch, device=input_ids.device, dtype=torch.long)
            context_hash = self.accumulate_hash(start, contexts[:, i, :])[:, None]
            repeated.append((history == context_hash).any(dim=1, keepdim=True))
            history = torch.cat((context_hash, history), dim=1)[:, :-1]
        return torch.logical_not(torch.cat(repeated, dim=1))

    def compute_eos_token_mask(
        self, input_ids: torch.LongTensor, eos_token_id: int
    ) -> torch.Tensor:
        """True before each row's first `eos_token_id`, False from it on."""
        self._check_input_ids_shape(input_ids)
        return (input_ids == eos_token_id).long().cumsum(dim=1) == 0

    def expected_mean_g_value(self, vocab_size: int, coinflip_prob: float = 0.5) -> float:
        """Mean g-value of watermarked text under a uniform model (one depth)."""
        return coinflip_prob + coinflip_prob * (1 - coinflip_prob) * (1 - 1 / vocab_size)


#: `watermarking_config` keys of a SynthID watermark, with the reference's defaults.
SYNTHID_OPTIONS: dict[str, Any] = {
    "ngram_len": None,
    "keys": None,
    "context_history_size": 1024,
    "sampling_table_seed": 0,
    "sampling_table_size": 2**16,
    "skip_first_ngram_calls": False,
    "debug_mode": False,
}


def is_synthid_config(options: dict[str, Any]) -> bool:
    """Whether a `watermarking_config` dict describes a SynthID watermark."""
    return "ngram_len" in options or options.get("watermarking_type") == "synthid"


class _SynthIDFromConfig(LogitsProcessor):
    """`watermarking_config` in generate: the processor is built on the first step, on the
    scores' device."""

    def __init__(self, options: dict[str, Any]) -> None:
        options = {k: v for k, v in options.items() if k != "watermarking_type"}
        unknown = sorted(set(options) - set(SYNTHID_OPTIONS))
        missing = [k for k in ("ngram_len", "keys") if options.get(k) is None]
        if unknown or missing:
            raise GenerationError(
                "A SynthID watermarking_config needs ngram_len and keys and takes "
                f"{', '.join(SYNTHID_OPTIONS)}; "
                + (
                    f"unknown: {', '.join(unknown)}"
                    if unknown
                    else f"missing: {', '.join(missing)}"
                )
                + "."
            )
        self.options = {**SYNTHID_OPTIONS, **options}
        SynthIDTextWatermarkLogitsProcessor(**self.options, device="cpu")  # checks them now
        self._processor: SynthIDTextWatermarkLogitsProcessor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._processor is None:
            self._processor = SynthIDTextWatermarkLogitsProcessor(
                **self.options, device=scores.device
            )
        return self._processor(input_ids, scores)


def synthid_from_config(options: dict[str, Any]) -> LogitsProcessor:
    """The processor for a SynthID `GenerationConfig.watermarking_config` (a dict)."""
    return _SynthIDFromConfig(dict(options))
