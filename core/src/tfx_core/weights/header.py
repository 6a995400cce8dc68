"""Parse and validate a safetensors header in Python before the Rust reader touches the file.

A truncated download or a garbled file then gives a `CorruptCheckpointError` that names the file
and says what to do, instead of a low-level failure from deep inside `safetensors`.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfx_core.config import parse_json
from tfx_core.errors import CorruptCheckpointError

#: Bytes per element of the safetensors dtypes whose size is fixed; others are not size-checked.
DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}

#: Every dtype name the safetensors format defines (sub-byte and complex ones are not sized).
DTYPE_NAMES = frozenset(
    {*DTYPE_SIZES, "F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64"}
)
DTYPE_SIZES.update({"F8_E8M0": 1, "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1, "C64": 8})

#: The same bound the safetensors library enforces; a larger value means a garbled file.
MAX_HEADER_BYTES = 100_000_000


def what_to_do(path: Path) -> str:
    """Advice for a broken file, pointing at the blob when it sits in the Hub cache."""
    if path.is_symlink():
        blob = path.resolve()
        return (
            f"It is a Hugging Face cache entry: delete {blob} and the link {path}, then download "
            "the model again."
        )
    return "Delete it and download or save the checkpoint again."


def _corrupt(path: Path, problem: str) -> CorruptCheckpointError:
    return CorruptCheckpointError(f"{path} {problem}. {what_to_do(path)}")


@dataclass(frozen=True)
class SafetensorsHeader:
    """A validated header: per tensor `{"dtype", "shape", "data_offsets"}`, in file order."""

    tensors: dict[str, dict[str, Any]]
    metadata: dict[str, str]
    data_start: int  # absolute file offset where the data section (and offset 0) begins


def read_header(path: str | Path) -> SafetensorsHeader:
    """The header of a safetensors file, checked against the file's size."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise _corrupt(path, f"is too short ({size} bytes) to be a safetensors file")
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len == 0 or header_len > min(size - 8, MAX_HEADER_BYTES):
            raise _corrupt(
                path,
                f"is truncated or not a safetensors file (its header claims {header_len} bytes; "
                f"the file has {size})",
            )
        raw = handle.read(header_len)
    try:
        header = parse_json(raw, source="its header", error=ValueError)
    except ValueError as exc:
        raise _corrupt(path, f"has a corrupted header ({exc})") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "has a corrupted header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _corrupt(path, "has corrupted metadata (it must map strings to strings)")
    data_size = size - 8 - header_len
    spans = sorted((*_check_entry(path, key, info), key) for key, info in header.items())
    needed = spans[-1][1] if spans else 0
    if needed > data_size:
        raise _corrupt(
            path,
            f"is truncated: its header describes {needed} bytes of tensor data but only "
            f"{data_size} are present",
        )
    position = 0
    for start, end, key in spans:  # the tensors tile the data section, in any order
        if start != position:
            problem = "overlaps the tensor before it" if start < position else "leaves a gap"
            raise _corrupt(path, f"has a corrupted header: tensor {key!r} {problem}")
        position = end
    if position != data_size:
        raise _corrupt(
            path,
            f"has {data_size - position} bytes after its last tensor (a partial overwrite or "
            "a different file)",
        )
    return SafetensorsHeader(tensors=header, metadata=metadata, data_start=8 + header_len)


def _check_entry(path: Path, key: str, info: Any) -> tuple[int, int]:
    """Validate one tensor entry; return its data offsets."""
    try:
        dtype, shape, (start, end) = info["dtype"], info["shape"], info["data_offsets"]
        valid = (
            isinstance(dtype, str)
            and isinstance(shape, list)
            and all(isinstance(d, int) and d >= 0 for d in shape)
            and isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start <= end
        )
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid:
        raise _corrupt(path, f"has a corrupted header entry for tensor {key!r}")
    if dtype not in DTYPE_NAMES:
        raise _corrupt(path, f"gives tensor {key!r} the unknown dtype {dtype!r}")
    itemsize = DTYPE_SIZES.get(dtype)
    if itemsize is not None and end - start != math.prod(shape) * itemsize:
        raise _corrupt(
            path,
            f"has a corrupted header: tensor {key!r} ({dtype}, shape {shape}) spans "
            f"{end - start} bytes",
        )
    return start, end
