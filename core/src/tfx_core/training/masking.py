"""Masked-LM corruption shared by the collators: which tokens may be chosen, the
mask / random / keep replacement of the chosen ones, and the collators' seeded generator.

The random draws (their order, shapes and generator) are the reference's, so a batch is the
same as the reference collator's for the same seeds.
"""

from __future__ import annotations

import multiprocessing
import warnings
from typing import Any

import torch

from tfx_core.errors import ConfigError


def check_probability(name: str, value: Any) -> float:
    """`value` as a float in [0, 1], else a `ConfigError` naming the argument."""
    if value is None or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"{name} must be a probability in [0, 1], got {value!r}.")
    return float(value)


def check_replace_probabilities(mask_replace_prob: Any, random_replace_prob: Any) -> None:
    """The chosen tokens' split: mask token, random token, or kept (the rest)."""
    mask_p = check_probability("mask_replace_prob", mask_replace_prob)
    random_p = check_probability("random_replace_prob", random_replace_prob)
    if mask_p + random_p > 1:
        raise ConfigError(
            f"mask_replace_prob + random_replace_prob must not exceed 1 (got {mask_p} + "
            f"{random_p}); the remainder is the share of chosen tokens left unchanged."
        )


def seeded_generator(seed: int) -> torch.Generator:
    """The collator's own generator: `seed` in the main process, `seed + worker id` in a
    DataLoader worker (so workers draw different masks), as the reference."""
    if multiprocessing.current_process().name == "MainProcess":
        return torch.Generator().manual_seed(seed)
    worker = torch.utils.data.get_worker_info()
    if worker is None:
        raise ConfigError(
            "A collator `seed` in a subprocess needs a torch DataLoader worker (its id offsets "
            "the seed); use a single process or DataLoader(num_workers=...)."
        )
    return torch.Generator().manual_seed(seed + worker.id)


def special_tokens_mask(tokenizer: Any, input_ids: torch.Tensor) -> torch.Tensor:
    """True where `input_ids` holds one of the tokenizer's special tokens."""
    special_ids = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=input_ids.dtype)
    return torch.isin(input_ids, special_ids)


def replace_chosen(
    inputs: torch.Tensor,
    chosen: torch.Tensor,
    tokenizer: Any,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Corrupt the `chosen` positions of `inputs` in place: `mask_replace_prob` of them become
    the mask token, `random_replace_prob` a random vocabulary id, the rest stay."""
    shape = inputs.shape
    masked = torch.bernoulli(torch.full(shape, mask_replace_prob), generator=generator).bool()
    masked &= chosen
    inputs[masked] = tokenizer.mask_token_id
    if mask_replace_prob == 1 or random_replace_prob == 0:
        return inputs
    scaled = random_replace_prob / (1 - mask_replace_prob)
    randomized = torch.bernoulli(torch.full(shape, scaled), generator=generator).bool()
    randomized &= chosen & ~masked
    words = torch.randint(len(tokenizer), shape, dtype=torch.long, generator=generator)
    inputs[randomized] = words[randomized]
    return inputs


def word_ids_from_offsets(
    offsets: torch.Tensor, special: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Words from character offsets `[batch, length, 2]`: a token starts a word when it is not
    special and either does not touch the previous token's end or follows a special token.
    Returns each token's word id (-1 for special tokens) and a mask of the non-starts."""
    special = special.bool()
    previous_end = torch.roll(offsets[:, :, 1], 1, dims=1)
    previous_end[:, 0] = -1
    after_special = torch.roll(special, 1, dims=1)
    after_special[:, 0] = False
    starts = ~special & ((offsets[:, :, 0] != previous_end) | after_special)
    word_ids = torch.cumsum(starts.long(), dim=1)
    word_ids[special] = -1
    return word_ids, ~starts


def spread_to_words(word_ids: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """Every token of a word that has a chosen token becomes chosen."""
    valid = word_ids != -1
    same_word = word_ids[:, :, None] == word_ids[:, None, :]
    same_word &= valid[:, :, None] & valid[:, None, :]
    return (same_word & chosen.bool()[:, None, :]).any(dim=2)


def whole_word_replacement(
    mlm: bool, mask_replace_prob: float, random_replace_prob: float
) -> tuple[float, float]:
    """Whole-word masking always uses the mask token (the reference's rule)."""
    if not mlm:
        raise ConfigError("whole_word_mask=True masks words for masked LM: set mlm=True too.")
    if mask_replace_prob < 1:
        warnings.warn(
            "Whole-word masking replaces every chosen token with the mask token; "
            "mask_replace_prob is set to 1 and random_replace_prob to 0.",
            UserWarning,
            stacklevel=3,
        )
        return 1.0, 0.0
    return float(mask_replace_prob), float(random_replace_prob)


def pad_offsets(offsets: list[Any], shape: torch.Size, side: str = "right") -> torch.Tensor:
    """The features' `offset_mapping` as one `[batch, length, 2]` tensor (pads get (0, 0))."""
    if any(row is None for row in offsets):
        raise ConfigError(
            "whole_word_mask=True needs each example's `offset_mapping`: tokenize with "
            "`return_offsets_mapping=True` (a fast tokenizer)."
        )
    out = torch.zeros((*shape, 2), dtype=torch.long)
    for i, row in enumerate(offsets):
        pairs = torch.as_tensor(row.tolist() if hasattr(row, "tolist") else row, dtype=torch.long)
        pairs = pairs.reshape(-1, 2)
        if side == "left":
            out[i, shape[1] - len(pairs) :] = pairs
        else:
            out[i, : len(pairs)] = pairs
    return out
