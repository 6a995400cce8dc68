"""Bounds for rendering chat templates, which come with downloaded checkpoints.

jinja2's sandbox stops attribute tricks, not exhaustion: `{{ 'a' * 10000000000 }}`, nested
`range` loops or doubling a string in a loop would hang the process or fill its memory. The
environment here caps what one render may build, and `render_bounded` its output and time:

* a string, list or bytes made or fetched during rendering holds at most `MAX_ITEMS` items
  (repetition with `*`, `+`, filter and method results, attribute and item lookups);
* integers passed to methods and filters (`center(10**10)`) are at most `MAX_ITEMS`; powers are
  limited to `MAX_EXPONENT`;
* the `range` calls of one render produce at most `MAX_RANGE_ITEMS` numbers in total;
* the rendered text is at most `MAX_OUTPUT_CHARS` characters, produced within `MAX_SECONDS`.

Exceeding any of them raises `TokenizerError` naming the limit.
"""

from __future__ import annotations

import contextvars
import functools
import time
from typing import Any

from tfx_core.errors import TokenizerError

MAX_ITEMS = 1_000_000
MAX_OUTPUT_CHARS = 1_000_000
MAX_RANGE_ITEMS = 1_000_000
MAX_EXPONENT = 4096
MAX_SECONDS = 10.0

_budget: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "tfx_chat_budget", default=None
)


def _exceeded(what: str) -> TokenizerError:
    return TokenizerError(
        f"The chat template exceeded a rendering limit ({what}). Chat templates come with the "
        "checkpoint, so tfx bounds them; fix the template or pass chat_template='...'."
    )


def _tick(range_items: int = 0) -> None:
    """Charge the current render: range items and the deadline."""
    budget = _budget.get()
    if budget is None:
        return
    if time.monotonic() > budget[0]:
        raise _exceeded(f"more than {MAX_SECONDS:g} seconds")
    budget[1] += range_items
    if budget[1] > MAX_RANGE_ITEMS:
        raise _exceeded(f"range() produced more than {MAX_RANGE_ITEMS} numbers")


def _check_value(value: Any) -> Any:
    if isinstance(value, (str, bytes, list, tuple, dict)) and len(value) > MAX_ITEMS:
        raise _exceeded(f"a value of more than {MAX_ITEMS} items")
    return value


def _check_arguments(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
            raise _exceeded(f"an argument larger than {MAX_ITEMS}")


def _bounded_range(*args: Any) -> range:
    _check_arguments(args, {})
    numbers = range(*args)
    _tick(len(numbers))
    return numbers


def _guard_filter(function: Any) -> Any:
    @functools.wraps(function)  # keeps jinja's pass_context / pass_environment marks
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args[1:], kwargs)
        _tick()
        return _check_value(function(*args, **kwargs))

    return guarded


def bounded_environment(**options: Any) -> Any:
    """An `ImmutableSandboxedEnvironment` whose operations are bounded as described above."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _tick()
            big_power = isinstance(right, int) and abs(right) > MAX_EXPONENT
            if operator == "**" and big_power and isinstance(left, int) and abs(left) > 1:
                raise _exceeded(f"a power above {MAX_EXPONENT}")
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    sized = isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int)
                    if sized and len(seq) * count > MAX_ITEMS:
                        raise _exceeded(f"a repetition of more than {MAX_ITEMS} items")
            return _check_value(super().call_binop(context, operator, left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _check_arguments(args, kwargs)
            _tick()
            return _check_value(super().call(__context, __obj, *args, **kwargs))

        def getattr(self, obj: Any, attribute: str) -> Any:
            return _check_value(super().getattr(obj, attribute))

        def getitem(self, obj: Any, argument: Any) -> Any:
            return _check_value(super().getitem(obj, argument))

    env = BoundedSandbox(**options)
    env.globals["range"] = _bounded_range
    for name, function in list(env.filters.items()):
        env.filters[name] = _guard_filter(function)
    return env


def render_bounded(template: Any, **variables: Any) -> str:
    """Render `template` with the output, range and time budgets of one render."""
    token = _budget.set([time.monotonic() + MAX_SECONDS, 0.0])
    try:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(**variables):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise _exceeded(f"more than {MAX_OUTPUT_CHARS} characters of output")
            _tick()
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _budget.reset(token)
