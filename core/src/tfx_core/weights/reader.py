"""Read checkpoints: safetensors (single or sharded, memory-mapped), or opted-in pickle files."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

from tfx_core.errors import CheckpointNotFoundError, CorruptCheckpointError, UnsafeCheckpointError
from tfx_core.weights.files import PICKLE_INDEX, PICKLE_WEIGHTS, SAFE_INDEX, SAFE_WEIGHTS

_FIX = "Delete the file and download or save it again."


def check_safetensors_header(path: Path) -> dict[str, Any]:
    """Validate a safetensors file's header against its size; return the header.

    Done in Python first so a truncated or garbled file gives a clear error instead of a
    low-level failure inside the Rust reader.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        raw = handle.read(8)
        if len(raw) < 8:
            raise CorruptCheckpointError(f"{path} is too short to be a safetensors file. {_FIX}")
        (header_len,) = struct.unpack("<Q", raw)
        if header_len <= 0 or header_len > size - 8:
            raise CorruptCheckpointError(
                f"{path} is truncated or not a safetensors file (header length {header_len} "
                f"for a {size}-byte file). {_FIX}"
            )
        try:
            header = json.loads(handle.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptCheckpointError(f"{path} has a corrupted header ({exc}). {_FIX}") from exc
    if not isinstance(header, dict):
        raise CorruptCheckpointError(f"{path} has a corrupted header. {_FIX}")
    data_size = size - 8 - header_len
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, end = info["data_offsets"]
        except (TypeError, KeyError, ValueError) as exc:
            raise CorruptCheckpointError(f"{path}: bad entry for tensor {key!r}. {_FIX}") from exc
        if not 0 <= start <= end <= data_size:
            raise CorruptCheckpointError(
                f"{path} is truncated: tensor {key!r} ends at byte {end} of a {data_size}-byte "
                f"data section. {_FIX}"
            )
    return header


class CheckpointReader:
    """Uniform access to the tensors of a checkpoint folder, one tensor at a time.

    Safetensors files are memory-mapped: `get` reads only the requested tensor, and with
    `framework="pt"` returns a torch tensor directly (bf16 included, which numpy cannot hold).
    """

    def __init__(self, folder: Path, files: dict[str, Path], pickled: bool) -> None:
        self.folder = folder
        self._key_to_file = files
        self._pickled = pickled
        self._headers: dict[Path, dict[str, Any]] = {}
        self._handles: dict[tuple[Path, str], Any] = {}
        self._pickle_cache: dict[Path, dict[str, Any]] = {}
        self.metadata: dict[str, str] = {}
        if not pickled:
            for path in sorted(set(files.values())):
                header = check_safetensors_header(path)
                self._headers[path] = header
                self.metadata.update(header.get("__metadata__") or {})

    # ---------------------------------------------------------------- queries
    def keys(self) -> list[str]:
        return list(self._key_to_file)

    def __contains__(self, key: str) -> bool:
        return key in self._key_to_file

    def __len__(self) -> int:
        return len(self._key_to_file)

    def files(self) -> list[Path]:
        return sorted(set(self._key_to_file.values()))

    def shape(self, key: str) -> tuple[int, ...]:
        path = self._key_to_file[key]
        if self._pickled:
            return tuple(self._pickle(path)[key].shape)
        return tuple(self._headers[path][key]["shape"])

    def dtype(self, key: str) -> str:
        """The stored dtype as safetensors names it: 'F32', 'F16', 'BF16', 'I64', ..."""
        path = self._key_to_file[key]
        if self._pickled:
            return str(self._pickle(path)[key].dtype).removeprefix("torch.")
        return self._headers[path][key]["dtype"]

    def get(self, key: str, framework: str = "np") -> Any:
        """The tensor `key` as a numpy array (`"np"`) or a torch tensor (`"pt"`)."""
        path = self._key_to_file[key]
        if self._pickled:
            tensor = self._pickle(path)[key]
            return tensor if framework == "pt" else tensor.numpy()
        handle = self._handles.get((path, framework))
        if handle is None:
            from safetensors import safe_open

            try:
                handle = safe_open(str(path), framework=framework)
            except Exception as exc:
                raise CorruptCheckpointError(f"Cannot read {path}: {exc}. {_FIX}") from exc
            self._handles[(path, framework)] = handle
        return handle.get_tensor(key)

    def _pickle(self, path: Path) -> dict[str, Any]:
        state = self._pickle_cache.get(path)
        if state is None:
            import torch

            try:
                state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except Exception as exc:
                raise CorruptCheckpointError(f"Cannot read {path}: {exc}. {_FIX}") from exc
            self._pickle_cache[path] = state
        return state

    def close(self) -> None:
        self._handles.clear()
        self._pickle_cache.clear()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_index(folder: Path, index_name: str) -> dict[str, Path]:
    index_path = folder / index_name
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        weight_map = index["weight_map"]
        if not isinstance(weight_map, dict):
            raise TypeError("weight_map is not an object")
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CorruptCheckpointError(f"The index {index_path} is malformed ({exc}). {_FIX}") from exc
    files = {}
    for key, shard in weight_map.items():
        shard_path = folder / shard
        if Path(shard).name != shard:
            raise CorruptCheckpointError(f"The index {index_path} names a file outside the folder: {shard!r}.")
        if not shard_path.is_file():
            raise CorruptCheckpointError(
                f"The index {index_path} lists shard {shard!r}, which is missing. "
                "The download or save was incomplete: fetch or save the checkpoint again."
            )
        files[key] = shard_path
    return files


def _check_shards_match_index(files: dict[str, Path]) -> None:
    by_shard: dict[Path, set[str]] = {}
    for key, path in files.items():
        by_shard.setdefault(path, set()).add(key)
    for path, keys in by_shard.items():
        header = check_safetensors_header(path)
        stored = set(header) - {"__metadata__"}
        if not keys <= stored:
            missing = sorted(keys - stored)[:5]
            raise CorruptCheckpointError(
                f"Shard {path.name} does not hold tensors its index assigns to it "
                f"(e.g. {', '.join(missing)}). {_FIX}"
            )


def open_checkpoint(folder: str | os.PathLike, *, allow_pickle: bool = False) -> CheckpointReader:
    """Open the weights of a checkpoint folder, preferring safetensors."""
    folder = Path(folder)
    if (folder / SAFE_WEIGHTS).is_file():
        path = folder / SAFE_WEIGHTS
        header = check_safetensors_header(path)
        return CheckpointReader(folder, {k: path for k in header if k != "__metadata__"}, False)
    if (folder / SAFE_INDEX).is_file():
        files = _read_index(folder, SAFE_INDEX)
        _check_shards_match_index(files)
        return CheckpointReader(folder, files, False)
    has_pickle = (folder / PICKLE_WEIGHTS).is_file() or (folder / PICKLE_INDEX).is_file()
    if has_pickle and not allow_pickle:
        raise UnsafeCheckpointError(
            f"{folder} holds only pickle weights (pytorch_model.bin). Loading pickle files can run "
            "arbitrary code, so tfx does not do it by default. If you trust the source, pass "
            "allow_pickle=True (it loads with torch.load(weights_only=True)); better, convert "
            "the checkpoint to safetensors."
        )
    if (folder / PICKLE_WEIGHTS).is_file():
        path = folder / PICKLE_WEIGHTS
        reader = CheckpointReader(folder, {}, True)
        reader._key_to_file = {key: path for key in reader._pickle(path)}
        return reader
    if (folder / PICKLE_INDEX).is_file():
        return CheckpointReader(folder, _read_index(folder, PICKLE_INDEX), True)
    raise CheckpointNotFoundError(
        f"No weights found in {folder}: looked for {SAFE_WEIGHTS}, {SAFE_INDEX}"
        + (f", {PICKLE_WEIGHTS} and {PICKLE_INDEX}." if allow_pickle else " (pickle files not allowed).")
    )
