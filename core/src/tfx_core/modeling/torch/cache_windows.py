"""Sliding-window layers of a cache: which layers slide (the reference's rule), checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfx_core.errors import ConfigError

__all__ = ["checked_windows", "sliding_windows", "window_of"]


def sliding_windows(config: Any) -> list[int | None] | None:
    """Per layer, the window of a sliding-window layer (None: a full layer); None when no layer
    slides. The reference's rule: `sliding_window` (or `attention_chunk_size`) with
    `layer_types` ("sliding_attention"/"chunked_attention" entries), every layer when it has
    no `layer_types`. Models without those fields (GPT-Neo's `window_size`) slide nowhere."""
    window = getattr(config, "sliding_window", None) or getattr(
        config, "attention_chunk_size", None
    )
    if window is None:
        return None
    layers = getattr(config, "num_hidden_layers", None)
    kinds = getattr(config, "layer_types", None)
    if kinds is None:
        if layers is None:
            return None
        return [int(window)] * layers
    windows = [
        int(window) if kind in ("sliding_attention", "chunked_attention") else None
        for kind in kinds
    ]
    return windows if any(w is not None for w in windows) else None


def window_of(windows: Sequence[int | None] | None, layer_idx: int) -> int | None:
    """Layer `layer_idx`'s window in `windows` (None: a full layer)."""
    if windows is None or layer_idx >= len(windows):
        return None
    return windows[layer_idx]


def checked_windows(windows: Sequence[int | None] | None) -> list[int | None] | None:
    """`windows` as a list (None when no layer slides); each window a positive int or None."""
    if windows is None:
        return None
    checked = list(windows)
    for window in checked:
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 1
        ):
            raise ConfigError(f"Cache windows must be positive ints or None, got {window!r}.")
    return checked if any(window is not None for window in checked) else None
