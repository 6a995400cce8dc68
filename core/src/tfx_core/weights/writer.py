"""Write state dicts as safetensors, split into shards with an HF-compatible index when large.

Each file is written under a temporary name and renamed into place, so no reader ever sees a
half-written file; use `atomic_directory` to make a whole multi-file save all-or-nothing.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfx_core.errors import ConfigError, WeightsError
from tfx_core.weights.dtypes import SAFE_TO_NUMPY
from tfx_core.weights.files import SAFE_FAMILY, SAFE_INDEX, SAFE_WEIGHTS, parse_size


def _is_torch(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "torch"


def _check_entry(key: Any, value: Any) -> None:
    if not isinstance(key, str) or not key:
        raise WeightsError(f"State dict keys must be non-empty strings, got {key!r}.")
    if _is_torch(value):
        return
    import numpy as np

    if not isinstance(value, (np.ndarray, np.generic)):
        raise WeightsError(
            f"The value of {key!r} is a {type(value).__name__}, not a torch tensor or numpy array."
        )


def _byte_range(key: str, value: Any) -> tuple[str, int, int] | None:
    """(device, first byte, one past the last byte) that `value` covers in memory."""
    if _is_torch(value):
        if value.numel() == 0:
            return None
        if value.device.type == "meta":
            raise WeightsError(
                f"Tensor {key!r} is on the meta device and has no data: materialise the model "
                "(e.g. load or initialise its weights) before saving."
            )
        size, start = value.element_size(), value.data_ptr()
        span = sum((n - 1) * abs(s) for n, s in zip(value.shape, value.stride()))
        return str(value.device), start, start + (span + 1) * size
    import numpy as np

    value = np.asarray(value)  # numpy scalars too
    if value.size == 0:
        return None
    start = value.__array_interface__["data"][0]
    low = sum(min(0, (n - 1) * s) for n, s in zip(value.shape, value.strides))
    high = sum(max(0, (n - 1) * s) for n, s in zip(value.shape, value.strides))
    return "cpu", start + low, start + high + value.itemsize


def check_no_shared_memory(tensors: Mapping[str, Any]) -> None:
    """Raise if two entries overlap in memory (tied weights): safetensors stores no aliases,
    so the caller must save each shared tensor once."""
    ranges = sorted(
        (found, key)
        for key, value in tensors.items()
        if (found := _byte_range(key, value)) is not None
    )
    previous: tuple[str, int, str] | None = None  # device, end, key
    for (device, start, end), key in ranges:
        if previous is not None and previous[0] == device and start < previous[1]:
            raise WeightsError(
                f"Tensors {previous[2]!r} and {key!r} share memory (tied or aliased weights). "
                "safetensors stores each tensor separately: drop one of the keys before saving "
                "and re-tie the weights after loading."
            )
        if previous is None or previous[0] != device or end > previous[1]:
            previous = (device, end, key)


def _as_array(key: str, value: Any) -> Any:
    """A contiguous CPU tensor or little-endian numpy array that safetensors can write."""
    if _is_torch(value):
        import torch

        tensor = value.detach()
        if tensor.layout != torch.strided:
            raise WeightsError(f"Tensor {key!r} is sparse; call .to_dense() before saving.")
        return tensor.to("cpu").contiguous()
    import numpy as np

    array = np.asarray(value)
    if array.dtype.name not in SAFE_TO_NUMPY.values():
        raise WeightsError(
            f"Array {key!r} has dtype {array.dtype}, which safetensors cannot store from numpy; "
            "cast it (e.g. to float32) or pass a torch tensor."
        )
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return np.ascontiguousarray(array)


def _nbytes(array: Any) -> int:
    if _is_torch(array):
        return array.numel() * array.element_size()
    return int(array.nbytes)


def _metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    merged = {"format": "pt", **(dict(metadata) if metadata else {})}
    bad = [k for k, v in merged.items() if not (isinstance(k, str) and isinstance(v, str))]
    if bad:
        raise ConfigError(f"safetensors metadata must map strings to strings; bad entries: {bad}.")
    return merged


def shard_name(number: int, total: int) -> str:
    """The reference's shard naming: model-00001-of-00003.safetensors."""
    return f"model-{number:05d}-of-{total:05d}.safetensors"


def plan_shards(sizes: Mapping[str, int], limit: int) -> list[list[str]]:
    """Group keys, in order, into shards of at most `limit` bytes (a larger tensor gets its own)."""
    shards: list[list[str]] = [[]]
    used = 0
    for key, nbytes in sizes.items():
        if shards[-1] and used + nbytes > limit:
            shards.append([])
            used = 0
        shards[-1].append(key)
        used += nbytes
    return shards


def _replace_into(path: Path, write: Any) -> None:
    """Run `write(tmp_path)`, then rename the result to `path`; on error leave nothing behind."""
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_shard(arrays: dict[str, Any], path: Path, metadata: dict[str, str]) -> None:
    """Write one safetensors file (torch writer when any value is a torch tensor)."""
    if any(_is_torch(a) for a in arrays.values()):
        import torch
        from safetensors.torch import save_file

        arrays = {
            k: a if _is_torch(a) else torch.from_numpy(a if a.flags.writeable else a.copy())
            for k, a in arrays.items()
        }
    else:
        from safetensors.numpy import save_file

    def write(tmp: Path) -> None:
        try:
            save_file(arrays, str(tmp), metadata=metadata)
        except OSError:
            raise
        except Exception as exc:  # safetensors raises untyped errors
            raise WeightsError(f"Could not write {path.name}: {exc}") from exc

    _replace_into(path, write)


def save_state_dict(
    tensors: Mapping[str, Any],
    folder: str | os.PathLike,
    *,
    max_shard_size: int | str = "5GB",
    metadata: Mapping[str, str] | None = None,
) -> list[str]:
    """Save tensors (torch, any dtype, or numpy) into `folder`; return the file names written.

    Up to `max_shard_size` bytes (an int, or '5GB' = 5*10**9 as in the reference, or '5GiB')
    go into `model.safetensors`; more are split into `model-0000i-of-0000N.safetensors` plus
    `model.safetensors.index.json` (`{"metadata": {"total_size"}, "weight_map"}`). `metadata`
    is stored in every file, with `format="pt"` by default (transformers requires it).
    Safetensors weight files left in `folder` by an earlier save are removed.
    """
    limit = parse_size(max_shard_size)
    meta = _metadata(metadata)
    for key, value in tensors.items():
        _check_entry(key, value)
    check_no_shared_memory(tensors)
    arrays = {key: _as_array(key, value) for key, value in tensors.items()}
    sizes = {key: _nbytes(array) for key, array in arrays.items()}
    shards = plan_shards(sizes, limit)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if len(shards) == 1:
        names = [SAFE_WEIGHTS]
    else:
        names = [shard_name(i, len(shards)) for i in range(1, len(shards) + 1)]
    for name, keys in zip(names, shards):
        write_shard({key: arrays[key] for key in keys}, folder / name, meta)
    written = list(names)
    if len(shards) > 1:
        index = {
            "metadata": {"total_size": sum(sizes.values())},
            "weight_map": {key: name for name, keys in zip(names, shards) for key in keys},
        }
        text = json.dumps(index, indent=2, sort_keys=True) + "\n"
        _replace_into(folder / SAFE_INDEX, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        written.append(SAFE_INDEX)
    for stale in folder.iterdir():
        if SAFE_FAMILY.match(stale.name) and stale.name not in written:
            stale.unlink()
    return written
