"""Opted-in reading of pickle checkpoints (`pytorch_model.bin`), and only through
`torch.load(weights_only=True)`, which refuses arbitrary objects instead of running them."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfx_core.errors import CorruptCheckpointError, UnsafeCheckpointError
from tfx_core.weights.header import what_to_do


def load_pickle_state_dict(path: Path) -> dict[str, Any]:
    """The tensors of a pickle checkpoint file, memory-mapped when the file format allows."""
    import torch

    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            # Files written before torch 1.6's zip format cannot be memory-mapped.
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafeCheckpointError(
            f"{path} holds objects other than tensors, so tfx will not unpickle it "
            f"(torch.load(weights_only=True) refused: {str(exc).splitlines()[0]}). Convert the "
            "checkpoint to safetensors in an environment you trust."
        ) from exc
    except (RuntimeError, EOFError, ValueError, OSError) as exc:
        raise CorruptCheckpointError(
            f"{path} cannot be read as a PyTorch checkpoint ({exc}). {what_to_do(path)}"
        ) from exc
    if not isinstance(state, Mapping):
        raise CorruptCheckpointError(
            f"{path} does not hold a state dict (found {type(state).__name__})."
        )
    return {
        key: value
        for key, value in state.items()
        if isinstance(key, str) and isinstance(value, torch.Tensor)
    }


class PickleFile:
    """One pickle checkpoint file, loaded on first use (index listings need no load)."""

    def __init__(self, path: Path, keys: list[str] | None = None) -> None:
        self.path = path
        self._listed = keys
        self._state: dict[str, Any] | None = None

    def _tensors(self) -> dict[str, Any]:
        if self._state is None:
            state = load_pickle_state_dict(self.path)
            if self._listed is not None:
                absent = [key for key in self._listed if key not in state]
                if absent:
                    raise CorruptCheckpointError(
                        f"Shard {self.path.name} lacks tensors its index assigns to it "
                        f"({', '.join(absent[:5])}). {what_to_do(self.path)}"
                    )
            self._state = state
        return self._state

    def keys(self) -> list[str]:
        return list(self._listed) if self._listed is not None else list(self._tensors())

    def tensor(self, key: str) -> Any:
        return self._tensors()[key]

    def close(self) -> None:
        self._state = None
