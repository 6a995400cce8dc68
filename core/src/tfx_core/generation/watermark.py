"""Green-list watermarking (Kirchenbauer et al., 2023) with the reference's seeding, so text
tfx generates is recognised by the reference's `WatermarkDetector` and vice versa.

At each step the previous token(s) seed a generator that draws a random "green" part of the
vocabulary (`greenlist_ratio` of it), whose scores get `bias` added. `seeding_scheme` is
"lefthash" (seed from the last token) or "selfhash" (seed from the context and the candidate).
`GenerationConfig(watermarking_config={...})` turns it on in `generate`.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.processors import LogitsProcessor

logger = logging.getLogger("tfx_core.generation")

__all__ = ["WatermarkLogitsProcessor", "watermark_from_config"]

_TABLE_SIZE = 1_000_003
_OPTIONS = ("greenlist_ratio", "bias", "hashing_key", "seeding_scheme", "context_width")


class WatermarkLogitsProcessor(LogitsProcessor):
    """Add `bias` to the scores of a context-seeded random green list of tokens."""

    def __init__(
        self,
        vocab_size: int,
        device: Any,
        greenlist_ratio: float = 0.25,
        bias: float = 2.0,
        hashing_key: int = 15485863,
        seeding_scheme: str = "lefthash",
        context_width: int = 1,
    ) -> None:
        if seeding_scheme not in ("selfhash", "lefthash"):
            raise GenerationError(
                f"seeding_scheme must be 'lefthash' or 'selfhash', got {seeding_scheme!r}."
            )
        if not 0.0 < greenlist_ratio < 1.0:
            raise GenerationError(f"greenlist_ratio must be in (0, 1), got {greenlist_ratio!r}.")
        self.vocab_size = vocab_size
        self.greenlist_size = int(vocab_size * greenlist_ratio)
        self.bias = bias
        self.seeding_scheme = seeding_scheme
        self.hash_key = hashing_key
        self.context_width = context_width
        self.rng = torch.Generator(device=device)
        self.rng.manual_seed(hashing_key)
        self.fixed_table = torch.randperm(_TABLE_SIZE, generator=self.rng, device=device)

    def _seed(self, context: torch.LongTensor) -> None:
        context = context[-self.context_width :]
        if self.seeding_scheme == "selfhash":
            a = self.fixed_table[context % _TABLE_SIZE] + 1
            b = self.fixed_table[context[-1] % _TABLE_SIZE] + 1
            seed = (self.hash_key * a * b).min().item()
        else:
            seed = self.hash_key * context[-1].item()
        self.rng.manual_seed(seed % (2**64 - 1))

    def greenlist_ids(self, context: torch.LongTensor) -> torch.LongTensor:
        """The green tokens after `context` (a 1-D sequence of token ids)."""
        self._seed(context)
        order = torch.randperm(self.vocab_size, device=context.device, generator=self.rng)
        return order[: self.greenlist_size]

    def _self_hashed_greenlist(self, context: torch.LongTensor, scores: torch.Tensor) -> Any:
        """Selfhash: among the 40 best candidates, those green in their own context."""
        candidates = scores.sort(dim=-1, descending=True).indices[:40]
        kept = [
            token
            for token in candidates
            if token in self.greenlist_ids(torch.cat([context, token[None]], dim=-1))
        ]
        return torch.tensor(kept, dtype=torch.long, device=context.device)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] < self.context_width:
            logger.warning(
                "Watermarking needs %d context tokens; this step has %d and is not watermarked.",
                self.context_width,
                input_ids.shape[-1],
            )
            return scores
        out = scores.clone()
        for row, context in enumerate(input_ids):
            if self.seeding_scheme == "selfhash":
                green = self._self_hashed_greenlist(context, scores[row])
            else:
                green = self.greenlist_ids(context)
            out[row, green] = out[row, green] + self.bias
        return out


class _WatermarkFromConfig(LogitsProcessor):
    """`watermarking_config` in generate: the processor is built on the first step, when the
    vocabulary size and device are known (the scores' width and device)."""

    def __init__(self, options: dict[str, Any]) -> None:
        WatermarkLogitsProcessor(8, "cpu", **options)  # checks the options now
        self.options = options
        self._processor: WatermarkLogitsProcessor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._processor is None:
            self._processor = WatermarkLogitsProcessor(
                scores.shape[-1], scores.device, **self.options
            )
        return self._processor(input_ids, scores)


def watermark_from_config(options: Any) -> LogitsProcessor:
    """The processor for `GenerationConfig.watermarking_config` (a dict of its options)."""
    if hasattr(options, "to_dict"):
        options = options.to_dict()
    if not isinstance(options, dict):
        raise GenerationError(
            f"watermarking_config must be a dict of {', '.join(_OPTIONS)}, got {options!r}."
        )
    from tfx_core.generation.synthid import is_synthid_config, synthid_from_config

    if is_synthid_config(options):
        return synthid_from_config(options)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise GenerationError(
            f"tfx implements green-list watermarking (options {', '.join(_OPTIONS)}); "
            f"watermarking_config has {', '.join(unknown)} (another kind of watermark)."
        )
    return _WatermarkFromConfig(dict(options))
