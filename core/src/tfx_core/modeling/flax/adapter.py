"""The one mapping between nnx modules and PyTorch checkpoint names, by walking the module tree.

Flax modules use the PyTorch attribute paths (`encoder.layer.0.attention.self.query`), so a
weight's checkpoint key is its module path plus the PyTorch parameter name. Only the leaf names
of stock layers differ: `nnx.Linear.kernel` is PyTorch's `weight` transposed, and norm `scale`
and embedding tables are called `weight`. Every other parameter keeps its own name (GPT-2's
`Conv1D.weight` is stored `[in, out]` on both sides).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from flax import nnx


class Slot(NamedTuple):
    """One parameter of the model under its checkpoint key."""

    variable: nnx.Variable
    transpose: bool  # the checkpoint stores it transposed (Linear kernels)


def _leaf_name(module: nnx.Module, name: str) -> tuple[str, bool]:
    if isinstance(module, nnx.Linear) and name == "kernel":
        return "weight", True
    if isinstance(module, (nnx.LayerNorm, nnx.RMSNorm)) and name == "scale":
        return "weight", False
    if isinstance(module, nnx.Embed) and name == "embedding":
        return "weight", False
    return name, False


def checkpoint_slots(model: nnx.Module) -> dict[str, Slot]:
    """Checkpoint key -> the parameter holding it (each shared parameter under its first path)."""
    slots: dict[str, Slot] = {}
    seen: set[int] = set()
    for path, module in nnx.iter_modules(model):
        prefix = ".".join(str(part) for part in path)
        for name, value in sorted(vars(module).items()):
            if not isinstance(value, nnx.Param) or id(value) in seen:
                continue
            seen.add(id(value))
            leaf, transpose = _leaf_name(module, name)
            slots[f"{prefix}.{leaf}" if prefix else leaf] = Slot(value, transpose)
    return slots


def to_checkpoint(value: np.ndarray, slot: Slot) -> np.ndarray:
    """A parameter's value in checkpoint layout."""
    return value.T if slot.transpose else value


def from_checkpoint(value: np.ndarray, slot: Slot) -> np.ndarray:
    """A checkpoint tensor in the parameter's layout."""
    return value.T if slot.transpose else value


def checkpoint_shape(slot: Slot, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(reversed(shape)) if slot.transpose else tuple(shape)


def state_dict(model: nnx.Module) -> dict[str, np.ndarray]:
    """Every parameter as a numpy array under its PyTorch name (what `save_pretrained` writes)."""
    return {
        key: np.ascontiguousarray(to_checkpoint(np.asarray(slot.variable.get_value()), slot))
        for key, slot in checkpoint_slots(model).items()
    }
