"""Score functions shared by the tasks, in numpy float32 like the reference computes them."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def as_numpy(tensor) -> np.ndarray:
    """A CPU float tensor (or array) as a numpy array."""
    return tensor if isinstance(tensor, np.ndarray) else tensor.numpy()
