"""Weight file names and size strings, shared by the reader, the writer and the atomic saver."""

from __future__ import annotations

import fnmatch
import re

from tfx_core.errors import ConfigError

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
PICKLE_WEIGHTS = "pytorch_model.bin"
PICKLE_INDEX = "pytorch_model.bin.index.json"

#: Files that `save_state_dict` itself writes: a fresh save replaces all of them.
SAFE_FAMILY = re.compile(
    r"^model(-\d{5}-of-\d{5})?\.safetensors$|^model\.safetensors\.index\.json$"
)

#: Weight files of any framework; an atomic save never carries them over from the old folder,
#: since they would describe the previous weights, not the new ones.
STALE_WEIGHT_GLOBS = (
    "model*.safetensors",
    "model*.safetensors.index.json",
    "pytorch_model*.bin",
    "pytorch_model*.bin.index.json",
    "tf_model*.h5",
    "tf_model*.h5.index.json",
    "flax_model*.msgpack",
    "flax_model*.msgpack.index.json",
)


def is_weight_file(name: str) -> bool:
    """Whether `name` is a weights file or weights index of any framework."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in STALE_WEIGHT_GLOBS)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(?:([KMGT])(i)?)?B?\s*$", re.IGNORECASE)


def parse_size(size: int | str) -> int:
    """Bytes in `size`: an int, or a string like '500MB', '5GB' (powers of 10, as the reference
    reads them) or '5GiB' (powers of 2)."""
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise ConfigError(f"max_shard_size must be an int or a string like '5GB', got {size!r}.")
    if isinstance(size, int):
        value = size
    else:
        match = _SIZE.match(size)
        if not match:
            raise ConfigError(
                f"max_shard_size {size!r} is not a size: use bytes (an int) or a string such as "
                "'500MB', '5GB' or '2GiB'."
            )
        number, unit, binary = match.groups()
        power = "KMGT".index(unit.upper()) + 1 if unit else 0
        value = int(float(number) * (1024 if binary else 1000) ** power)
    if value <= 0:
        raise ConfigError(f"max_shard_size must be positive, got {size!r}.")
    return value
