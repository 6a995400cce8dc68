"""Declarative, reversible key renames (e.g. old `LayerNorm.gamma` -> `LayerNorm.weight`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tfx_core.errors import ConfigError

_GROUP_REF = re.compile(r"\\(\d+)|\\g<(\w+)>")


class RenameRules:
    """An ordered list of `(pattern, replacement)` regex rules applied to checkpoint keys.

    Rules are reversible when each pattern is a literal with optional capture groups and the
    replacement only re-uses those groups: `invert()` builds the rules that undo them, so a
    loader and a saver share one declaration.
    """

    def __init__(self, rules: Sequence[tuple[str, str]] = ()) -> None:
        self.rules = [(pattern, replacement) for pattern, replacement in rules]
        try:
            self._compiled = [(re.compile(p), r) for p, r in self.rules]
        except re.error as exc:
            raise ConfigError(f"Invalid rename rule pattern: {exc}") from exc

    def apply(self, key: str) -> str:
        for pattern, replacement in self._compiled:
            key = pattern.sub(replacement, key)
        return key

    def apply_all(self, keys: Iterable[str]) -> dict[str, str]:
        """Map each original key to its renamed key."""
        return {key: self.apply(key) for key in keys}

    def invert(self) -> RenameRules:
        """The rules that undo these, in reverse order."""
        inverted = []
        for pattern, replacement in reversed(self.rules):
            inverted.append((_inverse_pattern(replacement), _inverse_replacement(pattern)))
        return RenameRules(inverted)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __repr__(self) -> str:
        return f"RenameRules({self.rules!r})"


def _inverse_pattern(replacement: str) -> str:
    """Turn a replacement like `\\1.weight` into a pattern matching what it produced."""
    out, last = [], 0
    for match in _GROUP_REF.finditer(replacement):
        out.append(re.escape(replacement[last : match.start()]))
        out.append(r"(.*?)")
        last = match.end()
    out.append(re.escape(replacement[last:]))
    return "".join(out) + ("$" if last < len(replacement) or not out else "")


def _inverse_replacement(pattern: str) -> str:
    """Turn a pattern like `(.*)\\.gamma$` back into a replacement, if it is simple enough."""
    text = pattern.removeprefix("^").removesuffix("$")
    out, index, group = [], 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
        elif char == "(":
            close = text.find(")", index)
            if close < 0:
                break
            group += 1
            out.append(f"\\{group}")
            index = close + 1
        elif char in ".*+?[]{}|":
            if char == "." and (index + 1 >= len(text) or text[index + 1] not in "*+?"):
                raise ConfigError(
                    f"Rename rule {pattern!r} cannot be inverted: escape literal dots as '\\.' "
                    "and use capture groups for the variable parts."
                )
            raise ConfigError(
                f"Rename rule {pattern!r} cannot be inverted: only literals and capture groups "
                "are reversible."
            )
        else:
            out.append(char)
            index += 1
    return "".join(out)


def align_prefix(
    checkpoint_keys: Iterable[str], model_keys: Iterable[str], base_prefix: str
) -> dict[str, str]:
    """Map each model key to the checkpoint key holding its weights.

    Handles a base checkpoint loaded into a head model (model `bert.x`, checkpoint `x`), a head
    checkpoint loaded into a base model (checkpoint `bert.x`, model `x`) and equal layouts, by
    choosing the prefix treatment that matches the most keys.
    """
    checkpoint = set(checkpoint_keys)
    model = list(model_keys)
    if not base_prefix:
        return {key: key for key in model if key in checkpoint}
    prefix = base_prefix + "."

    def as_is(key: str) -> str:
        return key

    def strip(key: str) -> str:  # model has the prefix, checkpoint does not
        return key[len(prefix) :] if key.startswith(prefix) else key

    def add(key: str) -> str:  # checkpoint has the prefix, model does not
        return prefix + key

    best: dict[str, str] = {}
    for transform in (as_is, strip, add):
        mapping = {key: transform(key) for key in model if transform(key) in checkpoint}
        if len(mapping) > len(best):
            best = mapping
    return best
