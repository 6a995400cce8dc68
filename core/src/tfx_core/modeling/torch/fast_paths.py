"""One switch for every fast path of the core blocks.

The blocks run the same math two ways: through their modules (always correct, every hook and
patch honoured) and, at inference when nothing could observe the difference, through fused or
lean paths that skip module-call overhead. `TFX_FAST_PATHS=0` in the environment, or
`with fast_paths(False):`, sends every call through the modules: the reference behaviour to
compare against, or to rule the fast paths out when debugging.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_OFF_VALUES = frozenset({"0", "false", "no", "off"})
_override: list[bool] = []


def fast_paths_enabled() -> bool:
    """Whether fused / lean paths may be used (the environment is read on every call)."""
    if _override:
        return _override[-1]
    return os.environ.get("TFX_FAST_PATHS", "1").strip().lower() not in _OFF_VALUES


@contextlib.contextmanager
def fast_paths(enabled: bool) -> Iterator[None]:
    """Turn the fast paths on or off inside a `with` block (overrides `TFX_FAST_PATHS`)."""
    _override.append(bool(enabled))
    try:
        yield
    finally:
        _override.pop()
