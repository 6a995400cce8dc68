"""How a check reports a broken contract: one message that says what is wrong and what to do."""

from __future__ import annotations

from collections.abc import Iterable


class ConformanceFailure(AssertionError):
    """A plugin breaks the contract; the message names the fix. Shown without a traceback."""


def fail(problem: str, fix: str) -> ConformanceFailure:
    """Build the failure for `problem`, ending with what the author should change."""
    return ConformanceFailure(f"{problem.rstrip('.')}.\n  Fix: {fix.rstrip('.')}.")


def listing(keys: Iterable[str], limit: int = 8) -> str:
    """A short, sorted listing of keys for messages ('a, b, c and 5 more')."""
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return f"{shown} and {len(keys) - limit} more" if len(keys) > limit else shown
