"""Prediction results: per-batch arrays joined along the batch axis and gathered from every
rank back into dataset order, without the duplicates a padded sampler would add."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import torch

from tfx_core.training import distributed

PAD_INDEX = -100


class EvalPrediction:
    """What `compute_metrics` receives: `predictions` and `label_ids` as numpy arrays (or
    tuples of them), padded with -100 where examples differ in length; `inputs` (the main
    input) and `losses` (each example's batch loss) when `include_for_metrics` asks for them.
    With `batch_eval_metrics` the fields are one batch's tensors. As the reference's, it
    unpacks to `(predictions, label_ids)` plus `inputs` / `losses` when they are set."""

    def __init__(
        self, predictions: Any, label_ids: Any, inputs: Any = None, losses: Any = None
    ) -> None:
        self.predictions = predictions
        self.label_ids = label_ids
        self.inputs = inputs
        self.losses = losses
        extras = [value for value in (inputs, losses) if value is not None]
        self.elements = (predictions, label_ids, *extras)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.elements)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self.elements):
            raise IndexError(f"EvalPrediction index {index} out of range")
        return self.elements[index]

    def __len__(self) -> int:
        return len(self.elements)


class PredictionOutput(NamedTuple):
    predictions: Any
    label_ids: Any
    metrics: dict[str, float] | None


def plain_metrics(value: Any) -> Any:
    """Metrics with numpy scalars and one-element tensors made Python numbers (JSON-ready),
    through dicts, lists and tuples; other values unchanged."""
    if isinstance(value, dict):
        return {key: plain_metrics(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(plain_metrics(item) for item in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def to_numpy(value: Any) -> Any:
    """Tensors (possibly nested in tuples/lists) to numpy; bfloat16/float16 become float32."""
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        if value.dtype in (torch.bfloat16, torch.float16):
            value = value.float()
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _pad_concat(arrays: list[np.ndarray], pad: Any = PAD_INDEX) -> np.ndarray:
    """Concatenate on axis 0, padding every other axis to the largest size."""
    if len(arrays) == 1:
        return arrays[0]
    if all(a.shape[1:] == arrays[0].shape[1:] for a in arrays):
        return np.concatenate(arrays, axis=0)
    tail = tuple(max(a.shape[d] for a in arrays) for d in range(1, arrays[0].ndim))
    out = np.full((sum(a.shape[0] for a in arrays), *tail), pad, dtype=arrays[0].dtype)
    row = 0
    for a in arrays:
        out[(slice(row, row + a.shape[0]), *(slice(0, s) for s in a.shape[1:]))] = a
        row += a.shape[0]
    return out


def concat_batches(batches: list[Any], pad: Any = PAD_INDEX) -> Any:
    """Join per-batch results (arrays, or tuples of arrays with the same structure)."""
    if not batches:
        return None
    first = batches[0]
    if isinstance(first, tuple | list):
        return type(first)(concat_batches([b[i] for b in batches], pad) for i in range(len(first)))
    return _pad_concat([np.asarray(b) for b in batches], pad)


def _interleave(parts: list[np.ndarray | None], pad: Any) -> np.ndarray:
    """Rank r holds examples r, r + w, ... (None: it had none): put them in dataset order."""
    world = len(parts)
    present = [(rank, p) for rank, p in enumerate(parts) if p is not None]
    total = sum(p.shape[0] for _, p in present)
    joined = _pad_concat([p for _, p in present], pad)  # one array, the padded tail shape
    out = np.empty_like(joined)
    row = 0
    for rank, part in present:
        out[rank:total:world] = joined[row : row + part.shape[0]]
        row += part.shape[0]
    return out


def gather_in_order(value: Any, pad: Any = PAD_INDEX) -> Any:
    """Every rank's results in dataset order (the value itself when alone). Every rank must
    call it, also one that saw no example (its value is None)."""
    if not distributed.is_distributed():
        return value
    return _combine(distributed.gather_objects(value), pad)


def _combine(parts: list[Any], pad: Any) -> Any:
    sample = next((p for p in parts if p is not None), None)
    if sample is None:
        return None
    if isinstance(sample, tuple | list):
        return type(sample)(
            _combine([None if p is None else p[i] for p in parts], pad) for i in range(len(sample))
        )
    return _interleave([None if p is None else np.asarray(p) for p in parts], pad)


def nested_slice(value: Any, index: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(nested_slice(v, index) for v in value)
    return value[index]
