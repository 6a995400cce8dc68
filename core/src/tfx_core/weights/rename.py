"""Declarative, reversible renames of checkpoint keys (e.g. old `LayerNorm.gamma` ->
`LayerNorm.weight`), so a loader and a saver share one declaration."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tfx_core.errors import ConfigError

_REPLACEMENT_REF = re.compile(r"\\(?:(\d{1,2})|g<(\w+)>)")


@dataclass(frozen=True)
class _Group:
    number: int
    name: str | None
    regex: str  # the group's body, reused verbatim by the inverse pattern


class RenameRules:
    """An ordered list of `(regex_pattern, replacement)` rules, each applied with `re.sub`.

    `invert()` builds the rules that undo them. A rule is invertible when its pattern is
    literal text (metacharacters escaped, e.g. `\\.`) plus capture groups, optionally anchored
    with `^`/`$`, and its replacement uses each group exactly once: `(.*)\\.gamma$` ->
    `\\1.weight` inverts to `(.*)\\.weight$` -> `\\1.gamma`. The inverse is exact on keys the
    forward rules produced; a key that already had the target form is not told apart.
    """

    def __init__(self, rules: Iterable[tuple[str, str]] = ()) -> None:
        self.rules: list[tuple[str, str]] = []
        self._compiled: list[tuple[re.Pattern[str], str]] = []
        for rule in rules:
            try:
                pattern, replacement = rule
                compiled = re.compile(pattern)
            except (TypeError, ValueError, re.error) as exc:
                raise ConfigError(f"Invalid rename rule {rule!r}: {exc}") from exc
            _check_references(compiled, replacement)
            self.rules.append((pattern, replacement))
            self._compiled.append((compiled, replacement))

    def apply(self, key: str) -> str:
        """`key` after every rule, in order."""
        for pattern, replacement in self._compiled:
            key = pattern.sub(replacement, key)
        return key

    def apply_all(self, keys: Iterable[str]) -> dict[str, str]:
        """Map each key to its new name; two keys renamed to one name is a `ConfigError`."""
        renamed: dict[str, str] = {}
        origin: dict[str, str] = {}
        for key in keys:
            new = self.apply(key)
            if new in origin and origin[new] != key:
                raise ConfigError(f"Rename rules map both {origin[new]!r} and {key!r} to {new!r}.")
            origin[new] = key
            renamed[key] = new
        return renamed

    def invert(self) -> RenameRules:
        """The rules that undo these (each rule inverted, in reverse order)."""
        return RenameRules([_invert_rule(p, r) for p, r in reversed(self.rules)])

    def __add__(self, other: RenameRules) -> RenameRules:
        return RenameRules([*self.rules, *other.rules])

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RenameRules) and self.rules == other.rules

    def __repr__(self) -> str:
        return f"RenameRules({self.rules!r})"


def _check_references(compiled: re.Pattern[str], replacement: str) -> None:
    """Fail at declaration time, not mid-load, when a replacement names an absent group."""
    if not isinstance(replacement, str):
        raise ConfigError(f"Rename replacement must be a string, got {replacement!r}.")
    for number, name in _REPLACEMENT_REF.findall(replacement):
        ref = number or name
        valid = int(ref) <= compiled.groups if ref.isdigit() else ref in compiled.groupindex
        if not valid:
            raise ConfigError(
                f"Rename rule {compiled.pattern!r} -> {replacement!r} refers to group {ref!r}, "
                "which the pattern does not define."
            )


def _not_invertible(pattern: str, why: str) -> ConfigError:
    return ConfigError(
        f"Rename rule {pattern!r} cannot be inverted: {why}. Invertible rules use literal text "
        "(escape metacharacters, e.g. '\\.') and capture groups, each used once in the "
        "replacement."
    )


def _group_end(pattern: str, start: int) -> int:
    """Index of the ')' closing the '(' at `start`, skipping escapes and character classes."""
    depth, index, in_class = 0, start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "]":  # a leading ']' is a literal
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise _not_invertible(pattern, "unbalanced parentheses")


def _parse_pattern(pattern: str) -> tuple[bool, list[str | _Group], bool]:
    """Split a pattern into (anchored at start, literal strings and groups, anchored at end)."""
    parts: list[str | _Group] = []
    index, groups = 0, 0
    anchored_start = pattern.startswith("^")
    if anchored_start:
        index = 1
    anchored_end = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if not escaped or escaped.isalnum():
                raise _not_invertible(pattern, f"'\\{escaped}' outside a group is not literal")
            parts.append(escaped)
            index += 2
        elif char == "(":
            end = _group_end(pattern, index)
            body = pattern[index + 1 : end]
            name = None
            if body.startswith("?P<"):
                name, _, body = body[3:].partition(">")
            elif body.startswith("?"):
                raise _not_invertible(pattern, "only capture groups may appear outside literals")
            if re.compile(body).groups:
                raise _not_invertible(pattern, "groups may not be nested")
            groups += 1
            parts.append(_Group(groups, name, body))
            index = end + 1
        elif char == "$" and index == len(pattern) - 1:
            anchored_end = True
            index += 1
        elif char in ".^$*+?{}[]|)":
            raise _not_invertible(pattern, f"{char!r} outside a group is not literal")
        else:
            parts.append(char)
            index += 1
    return anchored_start, parts, anchored_end


def _parse_replacement(pattern: str, replacement: str) -> list[str | tuple[str, int | str]]:
    """Split a replacement into literal characters and `("ref", number_or_name)` parts."""
    parts: list[str | tuple[str, int | str]] = []
    index = 0
    while index < len(replacement):
        match = _REPLACEMENT_REF.match(replacement, index)
        if match:
            number, name = match.groups()
            ref = number or name
            parts.append(("ref", int(ref) if ref.isdigit() else ref))
            index = match.end()
        elif replacement.startswith("\\\\", index):
            parts.append("\\")
            index += 2
        elif replacement[index] == "\\":
            raise _not_invertible(pattern, f"the replacement {replacement!r} uses an escape")
        else:
            parts.append(replacement[index])
            index += 1
    return parts


def _invert_rule(pattern: str, replacement: str) -> tuple[str, str]:
    anchored_start, pattern_parts, anchored_end = _parse_pattern(pattern)
    groups = [part for part in pattern_parts if isinstance(part, _Group)]
    by_ref: dict[int | str, _Group] = {g.number: g for g in groups}
    by_ref.update({g.name: g for g in groups if g.name})
    inverse_pattern = "^" if anchored_start else ""
    order: list[int] = []  # pattern group numbers, in the order the replacement uses them
    for part in _parse_replacement(pattern, replacement):
        if isinstance(part, tuple):
            group = by_ref[part[1]]
            if group.number in order:
                raise _not_invertible(pattern, f"group {part[1]!r} is used twice")
            order.append(group.number)
            inverse_pattern += f"({group.regex})"
        else:
            inverse_pattern += re.escape(part)
    if anchored_end:
        inverse_pattern += "$"
    unused = [g.number for g in groups if g.number not in order]
    if unused:
        raise _not_invertible(pattern, f"group {unused[0]} is dropped by the replacement")
    inverse_replacement = ""
    for part in pattern_parts:
        if isinstance(part, _Group):
            inverse_replacement += f"\\g<{order.index(part.number) + 1}>"
        else:
            inverse_replacement += part.replace("\\", "\\\\")
    return inverse_pattern, inverse_replacement
