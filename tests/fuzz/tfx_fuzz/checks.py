"""What a successful load or run must satisfy for the case to count as `ok`."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

from tfx_fuzz.harness import CheckFailed, SilentPartialLoad


def load_watched(load: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Call `load`, returning its result and every warning or log record it emitted."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = load()
    finally:
        root.removeHandler(handler)
    return result, records + [str(w.message) for w in caught]


def check_load(model: Any, caught: list[str]) -> None:
    """A model that loaded must be complete, or its load must have said it was not (a warning
    or a log record mentioning the load report)."""
    report = getattr(model, "load_report", None)
    if report is None or report.is_clean:
        return
    if not any(
        "missing" in text or "mismatch" in text or "newly initialised" in text for text in caught
    ):
        raise SilentPartialLoad(f"partial load with no warning or error: {str(report)[:200]}")


def check_forward(model: Any, vocab_size: int) -> None:
    """One forward pass on a tiny input gives finite logits of the right width."""
    import torch

    ids = torch.tensor([[2, 10, 11, 3]]) % max(1, vocab_size)
    with torch.no_grad():
        out = model(input_ids=ids)
    logits = out[0]
    if not torch.isfinite(logits).all():
        raise CheckFailed("the loaded model gives non-finite logits")
