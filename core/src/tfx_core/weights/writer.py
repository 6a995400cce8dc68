"""Write state dicts as safetensors, sharded with an HF-compatible index when large."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfx_core.errors import WeightsError
from tfx_core.weights.files import SAFE_INDEX, SAFE_WEIGHTS, parse_size


def _is_torch(tensor: Any) -> bool:
    return type(tensor).__module__.startswith("torch")


def _nbytes(tensor: Any) -> int:
    if _is_torch(tensor):
        return tensor.numel() * tensor.element_size()
    return int(tensor.nbytes)


def _prepare(tensors: Mapping[str, Any]) -> dict[str, Any]:
    """Contiguous, CPU, not sharing memory (safetensors cannot store aliases)."""
    prepared: dict[str, Any] = {}
    seen: dict[tuple[int, int], str] = {}
    for key, tensor in tensors.items():
        if _is_torch(tensor):
            tensor = tensor.detach()
            if tensor.numel():
                identity = (tensor.untyped_storage().data_ptr(), tensor.storage_offset())
                if identity in seen:
                    raise WeightsError(
                        f"Tensors {seen[identity]!r} and {key!r} share memory (tied weights). "
                        "Save each shared tensor once: drop the alias key before saving."
                    )
                seen[identity] = key
            tensor = tensor.to("cpu").contiguous()
        else:
            import numpy as np

            tensor = np.ascontiguousarray(tensor)
        prepared[key] = tensor
    return prepared


def _write_file(tensors: dict[str, Any], path: Path, metadata: dict[str, str]) -> None:
    if any(_is_torch(t) for t in tensors.values()):
        from safetensors.torch import save_file

        import torch

        tensors = {k: v if _is_torch(v) else torch.from_numpy(v) for k, v in tensors.items()}
    else:
        from safetensors.numpy import save_file
    save_file(tensors, str(path), metadata=metadata)


def shard_name(index: int, total: int) -> str:
    return f"model-{index:05d}-of-{total:05d}.safetensors"


def save_state_dict(
    tensors: Mapping[str, Any],
    folder: str | os.PathLike,
    *,
    max_shard_size: int | str = "5GB",
    metadata: Mapping[str, str] | None = None,
) -> list[str]:
    """Save tensors (torch or numpy) into `folder`; returns the file names written.

    Over `max_shard_size`, tensors go into numbered shards plus `model.safetensors.index.json`
    in the reference's format. A tensor larger than the limit gets a shard of its own.
    """
    try:
        limit = parse_size(max_shard_size)
    except ValueError as exc:
        raise WeightsError(str(exc)) from exc
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    prepared = _prepare(tensors)
    meta = {"format": "pt", **(dict(metadata) if metadata else {})}
    shards: list[dict[str, Any]] = [{}]
    size = 0
    for key, tensor in prepared.items():
        nbytes = _nbytes(tensor)
        if shards[-1] and size + nbytes > limit:
            shards.append({})
            size = 0
        shards[-1][key] = tensor
        size += nbytes
    if len(shards) == 1:
        _write_file(shards[0], folder / SAFE_WEIGHTS, meta)
        return [SAFE_WEIGHTS]
    names, weight_map = [], {}
    for number, shard in enumerate(shards, start=1):
        name = shard_name(number, len(shards))
        _write_file(shard, folder / name, meta)
        names.append(name)
        weight_map.update(dict.fromkeys(shard, name))
    index = {
        "metadata": {"total_size": sum(_nbytes(t) for t in prepared.values())},
        "weight_map": dict(sorted(weight_map.items())),
    }
    (folder / SAFE_INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return [*names, SAFE_INDEX]
