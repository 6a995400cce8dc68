"""Loss normalisation over a gradient-accumulation window (and over DDP ranks).

A model returns the mean loss of its micro-batch. Summing micro-batch means divided by the
number of micro-batches (the reference's long-standing bug) weighs a micro-batch of 3 labelled
tokens like one of 300. Instead each micro-batch's mean is turned back into a sum, `mean *
items`, and divided by the items of the whole window on every rank, so k micro-batches give the
same gradient as one batch k times larger, padding and token-level labels included.
"""

from __future__ import annotations

from typing import Any

import torch

IGNORE_INDEX = -100


def shifts_labels(model: Any) -> bool:
    """Causal-LM heads predict label i + 1 from position i: the first label never counts."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False):
        return False
    from tfx_core.generation import GenerationMixin

    return isinstance(model, GenerationMixin)


def count_items(batch: dict[str, Any], label_names: list[str], shift: bool) -> int:
    """Items the micro-batch's mean loss averages over: labelled tokens for token-level
    labels (ids other than -100), else examples."""
    labels = batch.get(label_names[0]) if label_names else None
    if labels is None:
        first = next((v for v in batch.values() if isinstance(v, torch.Tensor)), None)
        return int(first.shape[0]) if first is not None else 1
    if labels.dtype.is_floating_point or labels.dim() < 2:
        return int(labels.shape[0])
    if shift:
        labels = labels[..., 1:]
    return int((labels != IGNORE_INDEX).sum())


def label_smoothed_loss(
    logits: torch.Tensor, labels: torch.Tensor, factor: float, shift: bool
) -> torch.Tensor:
    """Mean over labelled tokens of `(1 - factor) * nll + factor * mean_c(-log p_c)`: the
    reference's `label_smoothing_factor` loss (causal-LM labels shift by one)."""
    if shift:
        logits, labels = logits[..., :-1, :], labels[..., 1:]
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        labels.reshape(-1).to(logits.device),
        ignore_index=IGNORE_INDEX,
        label_smoothing=factor,
    )
