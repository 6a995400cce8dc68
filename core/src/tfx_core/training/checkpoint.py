"""Checkpoints in the reference's layout, written all or nothing, and their rotation.

`output_dir/checkpoint-N/` holds the model (`config.json`, `model.safetensors`), the tokenizer
when the Trainer has one, `optimizer.pt`, `scheduler.pt`, `scaler.pt` (fp16), `rng_state.pth`
(`rng_state_<rank>.pth` under DDP), `trainer_state.json` and `training_args.json`. The folder is
assembled in a hidden temp folder and renamed into place (`tfx_core.weights.atomic_directory`),
so a run killed while saving leaves the previous checkpoints and no partial one. Everything is
read back with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tfx_core.errors import CheckpointNotFoundError, CorruptCheckpointError
from tfx_core.training.state import STATE_NAME

PREFIX = "checkpoint"
OPTIMIZER_NAME = "optimizer.pt"
SCHEDULER_NAME = "scheduler.pt"
SCALER_NAME = "scaler.pt"
ARGS_NAME = "training_args.json"
_CHECKPOINT_RE = re.compile(rf"^{PREFIX}-(\d+)$")


def rng_file_name(rank: int, world_size: int) -> str:
    return "rng_state.pth" if world_size <= 1 else f"rng_state_{rank}.pth"


def capture_rng() -> dict[str, Any]:
    """This process's RNG states, as tensors and plain values (loadable with weights_only)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "cpu": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(_as_tuple(state["python"]))
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            numpy_state["kind"],
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_as_tuple(v) for v in value)
    return value


def checkpoint_step(path: Path) -> int | None:
    match = _CHECKPOINT_RE.match(path.name)
    return int(match.group(1)) if match else None


def sorted_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints in `output_dir`, oldest first (temp folders are never listed)."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = [(checkpoint_step(p), p) for p in folder.iterdir() if p.is_dir()]
    return [p for step, p in sorted((s, p) for s, p in found if s is not None)]


def last_checkpoint(output_dir: str | Path) -> Path | None:
    found = [p for p in sorted_checkpoints(output_dir) if (p / STATE_NAME).is_file()]
    return found[-1] if found else None


def resolve_resume(value: str | bool | None, output_dir: str | Path) -> Path | None:
    """`True` means the newest checkpoint in `output_dir`; a path must be a checkpoint folder."""
    if value is None or value is False:
        return None
    if value is True:
        found = last_checkpoint(output_dir)
        if found is None:
            raise CheckpointNotFoundError(
                f"resume_from_checkpoint=True but {output_dir} holds no checkpoint-N folder with "
                f"a {STATE_NAME}. Start without resuming, or pass a checkpoint path."
            )
        return found
    path = Path(value)
    if not (path / STATE_NAME).is_file():
        raise CheckpointNotFoundError(
            f"{path} is not a training checkpoint (no {STATE_NAME}); pass a checkpoint-N folder."
        )
    return path


def remove_stale_temp_folders(output_dir: str | Path) -> None:
    """Delete hidden temp folders a killed save left behind (never a complete checkpoint)."""
    folder = Path(output_dir)
    if folder.is_dir():
        for path in folder.glob(f".tfx-*{PREFIX}-*"):  # also a nested model save's temp
            shutil.rmtree(path, ignore_errors=True)


def rotate(output_dir: str | Path, limit: int | None, keep: Path | None = None) -> list[Path]:
    """Delete the oldest checkpoints beyond `limit`, never `keep` (the best model)."""
    if limit is None:
        return []
    checkpoints = sorted_checkpoints(output_dir)
    if keep is not None and keep in checkpoints and limit == 1 and checkpoints[-1] != keep:
        limit = 2  # keep both the best and the newest, like the reference
    removable = [p for p in checkpoints if keep is None or p.resolve() != keep.resolve()]
    excess = max(0, len(checkpoints) - limit)
    removed = removable[:excess]
    for path in removed:
        # Hide it first (one rename), then delete: a kill mid-delete leaves a hidden temp
        # folder that `remove_stale_temp_folders` clears, never a half-deleted checkpoint-N.
        doomed = path.with_name(f".tfx-{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            path.rename(doomed)
        except OSError:
            continue
        shutil.rmtree(doomed, ignore_errors=True)
    return removed


def load_torch(path: Path, map_location: Any = "cpu") -> Any:
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError as error:
        raise CheckpointNotFoundError(f"{path} is missing from the checkpoint.") from error
    except Exception as error:  # a truncated or foreign file
        raise CorruptCheckpointError(f"Cannot read {path}: {error}") from error
