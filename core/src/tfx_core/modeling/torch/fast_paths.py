"""One switch for every fast path of the core blocks.

The blocks run the same math two ways: through their modules (always correct, every hook and
patch honoured) and, at inference when nothing could observe the difference, through fused or
lean paths that skip module-call overhead. `TFX_FAST_PATHS=0` in the environment, or
`with fast_paths(False):`, sends every call through the modules: the reference behaviour to
compare against, or to rule the fast paths out when debugging.

The environment is consulted on every call, cheaply: the raw value is fetched from
`os.environ`'s store and parsed again only when it is a different object than last time, so
setting the variable (`os.environ[...] = ...`, `monkeypatch.setenv`) takes effect at the next
forward.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_NAME = "TFX_FAST_PATHS"
_OFF_VALUES = frozenset({"0", "false", "no", "off"})
_override: list[bool] = []
# `os.environ` keeps encoded keys and values in `_data`; `os.environ.get` decodes on each call.
_STORE: dict | None = getattr(os.environ, "_data", None)
_KEY = os.environ.encodekey(_NAME) if _STORE is not None else None  # type: ignore[attr-defined]
_parsed: list = [object(), True]  # [raw value last parsed, its meaning]


def _parse(value: str | bytes | None) -> bool:
    if value is None:
        return True
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    return value.strip().lower() not in _OFF_VALUES


def fast_paths_enabled() -> bool:
    """Whether fused / lean paths may be used (`fast_paths(...)` block, else the environment)."""
    if _override:
        return _override[-1]
    if _STORE is None:  # an `os.environ` without the store: read it the documented way
        return _parse(os.environ.get(_NAME))
    raw = _STORE.get(_KEY)
    parsed = _parsed
    if raw is not parsed[0]:
        parsed[1] = _parse(raw)
        parsed[0] = raw
    return parsed[1]


@contextlib.contextmanager
def fast_paths(enabled: bool) -> Iterator[None]:
    """Turn the fast paths on or off inside a `with` block (overrides `TFX_FAST_PATHS`)."""
    _override.append(bool(enabled))
    try:
        yield
    finally:
        _override.pop()
