"""Guards around one fuzz case: a time limit, a network tripwire and a file-system fence.

The time limit raises `Hang` (a BaseException, so library code that catches `Exception` cannot
swallow it) from a SIGALRM timer; the network tripwire makes every connection attempt fail and
records it; the fence notices files written outside the case's own folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path


class Hang(BaseException):
    """The case ran past its time limit."""


class NetworkAttempt(BaseException):
    """Code under test tried to open a network connection."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the main thread after `seconds` (no limit off the main thread)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def _expire(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class NetworkGuard:
    """Makes every socket connection and DNS lookup fail, and counts the attempts."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._saved: list[tuple[object, str, object]] = []

    def _refuse(self, what: str):
        def refuse(*args: object, **kwargs: object) -> None:
            self.attempts.append(f"{what}{args[1:] if what == 'connect' else args[:1]}")
            raise NetworkAttempt(f"network access attempted: {what} {args!r}")

        return refuse

    def __enter__(self) -> NetworkGuard:
        targets = [
            (socket.socket, "connect"),
            (socket.socket, "connect_ex"),
            (socket, "create_connection"),
            (socket, "getaddrinfo"),
        ]
        for owner, name in targets:
            self._saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, self._refuse(name))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()


def snapshot(folder: Path) -> set[str]:
    """Every path under `folder` (relative), to compare before and after a case."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return found
