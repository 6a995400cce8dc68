"""Read checkpoints one tensor at a time: safetensors (single file or sharded, memory-mapped),
or, when the caller opts in, pickle files."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfx_core.config import parse_json
from tfx_core.errors import (
    CheckpointNotFoundError,
    ConfigError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
)
from tfx_core.weights.dtypes import (
    SAFE_TO_NUMPY,
    numpy_dtype,
    torch_dtype_name,
    torch_to_numpy,
)
from tfx_core.weights.files import (
    PICKLE_INDEX,
    PICKLE_WEIGHTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
)
from tfx_core.weights.header import SafetensorsHeader, read_header, what_to_do
from tfx_core.weights.pickle_loader import PickleFile

_FRAMEWORKS = {"np": "np", "numpy": "np", "pt": "pt", "torch": "pt"}
_NUMPY_NATIVE = set(SAFE_TO_NUMPY.values())
_OTHER_WEIGHTS = (".safetensors", ".bin", ".h5", ".msgpack", ".pt", ".pth", ".ckpt", ".gguf")


class SafetensorsFile:
    """One safetensors file: shapes and dtypes from its validated header, tensors on demand."""

    def __init__(self, path: Path, header: SafetensorsHeader | None = None) -> None:
        self.path = path
        self.header = header or read_header(path)
        self._handles: dict[str, Any] = {}

    def keys(self) -> list[str]:
        return list(self.header.tensors)

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self.header.tensors[key]["shape"])

    def dtype(self, key: str) -> str:
        return self.header.tensors[key]["dtype"]

    def get(self, key: str, framework: str) -> Any:
        if framework == "np":
            target = numpy_dtype(self.dtype(key), key)  # raises if numpy cannot hold it
            if target.name not in _NUMPY_NATIVE:  # bfloat16/float8 via ml_dtypes
                return self._memmap(key, target)
        try:
            handle = self._handles.get(framework)
            if handle is None:
                from safetensors import safe_open

                handle = self._handles[framework] = safe_open(str(self.path), framework=framework)
            return handle.get_tensor(key)
        except Exception as exc:  # safetensors raises its own untyped errors
            raise CorruptCheckpointError(
                f"Cannot read tensor {key!r} from {self.path} ({exc}). {what_to_do(self.path)}"
            ) from exc

    def _memmap(self, key: str, dtype: Any) -> Any:
        """A read-only numpy view for dtypes the safetensors numpy reader does not know."""
        import numpy as np

        shape = self.shape(key)
        start, end = self.header.tensors[key]["data_offsets"]
        if end == start:
            return np.empty(shape, dtype=dtype)
        raw = np.memmap(
            self.path,
            dtype=np.uint8,
            mode="r",
            offset=self.header.data_start + start,
            shape=end - start,
        )
        return raw.view(dtype).reshape(shape)

    def close(self) -> None:
        self._handles.clear()


class CheckpointReader:
    """The tensors of a checkpoint folder, read one at a time.

    `dtype(key)` answers in safetensors' names ("F32", "F16", "BF16", "I64", "BOOL", ...) for
    every format. `get(key, framework="np")` gives a numpy array, `framework="pt"` a torch
    tensor (bf16 included, which numpy alone cannot hold).
    """

    def __init__(self, folder: Path, sources: dict[str, Any], kind: str) -> None:
        self.folder = folder
        self.kind = kind  # "safetensors" or "pickle"
        self._sources = sources
        self.metadata: dict[str, str] = {}
        for source in dict.fromkeys(sources.values()):
            if isinstance(source, SafetensorsFile):
                self.metadata.update(source.header.metadata)

    def keys(self) -> list[str]:
        return list(self._sources)

    def __contains__(self, key: object) -> bool:
        return key in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    @property
    def files(self) -> list[Path]:
        """The weight files that hold the tensors."""
        return [source.path for source in dict.fromkeys(self._sources.values())]

    def _source(self, key: str) -> Any:
        try:
            return self._sources[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the checkpoint at {self.folder}") from None

    def shape(self, key: str) -> tuple[int, ...]:
        source = self._source(key)
        if isinstance(source, PickleFile):
            return tuple(source.tensor(key).shape)
        return source.shape(key)

    def dtype(self, key: str) -> str:
        source = self._source(key)
        if isinstance(source, PickleFile):
            return torch_dtype_name(source.tensor(key).dtype)
        return source.dtype(key)

    def get(self, key: str, framework: str = "np") -> Any:
        """The tensor `key` as a numpy array (`"np"`) or a torch tensor (`"pt"`)."""
        fw = _FRAMEWORKS.get(framework)
        if fw is None:
            raise ConfigError(f"framework must be 'np' or 'pt', got {framework!r}.")
        source = self._source(key)
        if isinstance(source, PickleFile):
            tensor = source.tensor(key)
            return tensor if fw == "pt" else torch_to_numpy(tensor, key)
        return source.get(key, fw)

    def close(self) -> None:
        for source in dict.fromkeys(self._sources.values()):
            source.close()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CheckpointReader({str(self.folder)!r}, {len(self)} tensors, {self.kind})"


def _read_index(folder: Path, name: str) -> dict[str, list[str]]:
    """Shard file name -> the keys the index assigns to it."""
    path = folder / name
    try:
        index = parse_json(path.read_bytes(), source="it", error=ValueError)
        weight_map = index["weight_map"]
        if not isinstance(weight_map, dict):
            raise TypeError("'weight_map' is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptCheckpointError(f"{path} is malformed ({exc}). {what_to_do(path)}") from exc
    shards: dict[str, list[str]] = defaultdict(list)
    for key, shard in weight_map.items():
        if not isinstance(shard, str) or Path(shard).name != shard or shard in ("", ".", ".."):
            raise CorruptCheckpointError(
                f"{path} names an invalid shard file {shard!r} for {key!r}."
            )
        shards[shard].append(key)
    for shard in shards:
        if not (folder / shard).is_file():
            raise CorruptCheckpointError(
                f"{path} lists shard {shard!r}, which is missing from {folder}: the download or "
                "save was incomplete. Download or save the checkpoint again."
            )
    return shards


def _open_sharded_safetensors(folder: Path) -> CheckpointReader:
    sources: dict[str, Any] = {}
    for shard, keys in _read_index(folder, SAFE_INDEX).items():
        source = SafetensorsFile(folder / shard)
        stored = set(source.keys())
        absent = [key for key in keys if key not in stored]
        extra = sorted(stored - set(keys))
        if absent or extra:
            problem = (
                f"lacks tensors the index assigns to it ({', '.join(absent[:5])})"
                if absent
                else f"holds tensors the index does not list ({', '.join(extra[:5])})"
            )
            raise CorruptCheckpointError(
                f"Shard {shard} {problem}: it does not match {SAFE_INDEX}. "
                f"{what_to_do(folder / shard)}"
            )
        sources.update(dict.fromkeys(keys, source))
    return CheckpointReader(folder, sources, "safetensors")


def _open_pickle(folder: Path) -> CheckpointReader:
    if (folder / PICKLE_WEIGHTS).is_file():
        source = PickleFile(folder / PICKLE_WEIGHTS)
        return CheckpointReader(folder, dict.fromkeys(source.keys(), source), "pickle")
    sources: dict[str, Any] = {}
    for shard, keys in _read_index(folder, PICKLE_INDEX).items():
        sources.update(dict.fromkeys(keys, PickleFile(folder / shard, keys)))
    return CheckpointReader(folder, sources, "pickle")


def open_checkpoint(folder: str | os.PathLike, *, allow_pickle: bool = False) -> CheckpointReader:
    """Open the weights in `folder`: `model.safetensors`, else its sharded index, else (only
    with `allow_pickle=True`) `pytorch_model.bin` or its index."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointNotFoundError(f"Cannot read weights from {folder}: it is not a folder.")
    if (folder / SAFE_WEIGHTS).is_file():
        path = folder / SAFE_WEIGHTS
        source = SafetensorsFile(path)
        return CheckpointReader(folder, dict.fromkeys(source.keys(), source), "safetensors")
    if (folder / SAFE_INDEX).is_file():
        return _open_sharded_safetensors(folder)
    pickled = [name for name in (PICKLE_WEIGHTS, PICKLE_INDEX) if (folder / name).is_file()]
    if pickled and not allow_pickle:
        raise UnsafeCheckpointError(
            f"{folder} holds only pickle weights ({pickled[0]}). Unpickling can run arbitrary "
            "code, so tfx does not load it by default. If you trust the source, pass "
            "allow_pickle=True (tfx then loads tensors only, with torch.load(weights_only=True)); "
            "better, convert the checkpoint to safetensors."
        )
    if pickled:
        return _open_pickle(folder)
    looked_for = [SAFE_WEIGHTS, SAFE_INDEX, PICKLE_WEIGHTS, PICKLE_INDEX]
    others = sorted(p.name for p in folder.iterdir() if p.name.endswith(_OTHER_WEIGHTS))
    found = f" Found only {', '.join(others)}, which tfx does not read." if others else ""
    raise CheckpointNotFoundError(
        f"No weights in {folder}: looked for {', '.join(looked_for)}.{found} Pass the folder "
        "of a saved model (one with config.json and model.safetensors)."
    )
