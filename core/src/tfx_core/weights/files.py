"""Names of weight files, shared by the reader, the writer and the atomic saver."""

from __future__ import annotations

import re

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
PICKLE_WEIGHTS = "pytorch_model.bin"
PICKLE_INDEX = "pytorch_model.bin.index.json"

#: Files a new save replaces wholesale (so a save with fewer shards leaves none stale).
WEIGHT_FILE = re.compile(
    r"^(model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json|"
    r"pytorch_model(-\d{5}-of-\d{5})?\.bin|pytorch_model\.bin\.index\.json)$"
)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(I?)B?\s*$", re.IGNORECASE)


def parse_size(size: int | str) -> int:
    """Bytes in `size`: an int, or '500MB' / '5GB' (powers of 10) / '5GiB' (powers of 2)."""
    if isinstance(size, int) and not isinstance(size, bool):
        if size <= 0:
            raise ValueError(f"max_shard_size must be positive, got {size}.")
        return size
    match = _SIZE.match(str(size))
    if not match:
        raise ValueError(
            f"max_shard_size {size!r} is not a size: use bytes (int) or e.g. '500MB', '5GB', '2GiB'."
        )
    number, unit, binary = match.groups()
    power = "KMGT".find(unit.upper()) + 1 if unit else 0
    base = 1024 if binary else 1000
    value = int(float(number) * base**power)
    if value <= 0:
        raise ValueError(f"max_shard_size must be positive, got {size!r}.")
    return value
