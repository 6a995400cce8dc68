"""Tools as Python functions: `get_json_schema(func)` turns a typed, documented function into the
JSON schema a chat template's `tools` expect, as the reference's `get_json_schema` does.

The schema comes from the type hints (str/int/float/bool/None, list, dict, tuple, unions,
`Literal`, `Any`, nested) and a Google-style docstring: the text before the first section is the
description, `Args:` gives one description per argument (ending it with `(choices: [...])` adds an
`enum`), and an optional `Returns:` describes the return value. Parameters without a default are
required. Nothing here imports a framework.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

from tfx_core.errors import DocstringParsingError, TokenizerError, TypeHintParsingError

#: JSON-schema type names of the Python types a hint (or a `Literal` value) can be.
_SCALAR_TYPES: tuple[tuple[type, str], ...] = (
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (bool, "boolean"),
    (type(None), "null"),
)
_NONE = type(None)
_ARGUMENT_HEADER = re.compile(r"\s*(\w+):")
_CHOICES_MARK = re.compile(r"\(choices:", re.IGNORECASE)
_DOCSTRING_HELP = (
    "Write a Google-style docstring: a description, then an 'Args:' line followed by one "
    "'name: what it is' line per argument (optionally an 'Returns:' section)."
)


# ==================================================================== type hints
def _scalar_schema(hint: Any) -> dict[str, Any]:
    """The schema of a hint with no type arguments (unknown classes are JSON objects)."""
    if hint is Any:
        return {}
    for python_type, name in _SCALAR_TYPES:
        if hint is python_type:
            return {"type": name}
    torch = sys.modules.get("torch")  # a torch.Tensor hint means torch is already imported
    if torch is not None and hint is getattr(torch, "Tensor", None):
        return {"type": "audio"}
    pil_image = sys.modules.get("PIL.Image")
    if pil_image is not None and hint is getattr(pil_image, "Image", None):
        return {"type": "image"}
    return {"type": "object"}


def _union_schema(hint: Any, members: tuple[Any, ...]) -> dict[str, Any]:
    """`X | Y`: one type, a list of simple types, or `anyOf`; `nullable` when None is a member."""
    schemas = [hint_schema(member) for member in members if member is not _NONE]
    if len(schemas) == 1:
        schema = schemas[0]
    else:
        simple = True
        for member_schema in schemas:
            if "type" not in member_schema:
                raise TypeHintParsingError(
                    f"Cannot convert the type hint {_hint_name(hint)} to JSON schema: a member of "
                    "the union has no JSON type (Any?). Drop it, or replace the union by Any."
                )
            if not isinstance(member_schema["type"], str):
                simple = False
                break
        if simple:
            schema = {"type": sorted(member_schema["type"] for member_schema in schemas)}
        else:
            schema = {"anyOf": schemas}
    if _NONE in members:
        schema["nullable"] = True
    return schema


def _literal_schema(values: tuple[Any, ...]) -> dict[str, Any]:
    """`Literal[...]`: the values' JSON types (one, or a list) and the values as an `enum`."""
    names: list[str] = []
    for value in values:
        name = next((n for t, n in _SCALAR_TYPES if type(value) is t), None)
        if name is None:
            raise TypeHintParsingError(
                f"Literal values must be str, int, float, bool or None, got {value!r} "
                f"({type(value).__name__}): use plain values in the Literal."
            )
        if name not in names:
            names.append(name)
    return {"type": names[0] if len(names) == 1 else names, "enum": list(values)}


def _tuple_schema(hint: Any, items: tuple[Any, ...]) -> dict[str, Any]:
    """`tuple[X, Y, ...]` of fixed length: an array with one schema per position."""
    if not items:
        return {"type": "array"}
    if len(items) == 1:
        raise TypeHintParsingError(
            f"The type hint {_hint_name(hint)} is a one-element tuple, which is not converted to "
            "JSON schema: use list[...] if it can hold several values, or the element's type alone."
        )
    if Ellipsis in items:
        raise TypeHintParsingError(
            f"The type hint {_hint_name(hint)} is a variable-length tuple ('...'), which is not "
            "converted to JSON schema: use list[...] instead."
        )
    return {"type": "array", "prefixItems": [hint_schema(item) for item in items]}


def hint_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of one (resolved) type hint."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin is None:
        return _scalar_schema(hint)
    if origin is typing.Union or origin is types.UnionType:
        return _union_schema(hint, arguments)
    if origin is typing.Literal and arguments:
        return _literal_schema(arguments)
    if origin is list:
        return (
            {"type": "array", "items": hint_schema(arguments[0])}
            if arguments
            else {"type": "array"}
        )
    if origin is tuple:
        return _tuple_schema(hint, arguments)
    if origin is dict:
        schema: dict[str, Any] = {"type": "object"}
        if len(arguments) == 2:  # JSON keys are strings; the value type is what can be said
            schema["additionalProperties"] = hint_schema(arguments[1])
        return schema
    raise TypeHintParsingError(
        f"Cannot convert the type hint {_hint_name(hint)} to JSON schema (a custom generic or an "
        "unsupported container): use str, int, float, bool, None, list, dict, tuple, Literal, "
        "Any or unions of them."
    )


def _hint_name(hint: Any) -> str:
    return str(hint).replace("typing.", "")


def _parameters_schema(func: Callable, name: str) -> dict[str, Any]:
    """`{"type": "object", "properties": ..., "required": ...}` from the signature and hints
    (the return hint, if any, is left in `properties` under "return")."""
    required = []
    for parameter in inspect.signature(func).parameters.values():
        if parameter.annotation is inspect.Parameter.empty:
            raise TypeHintParsingError(
                f"Argument {parameter.name} of function {name} has no type hint: annotate every "
                f"argument (e.g. `{parameter.name}: str`) so its JSON type is known."
            )
        if parameter.default is inspect.Parameter.empty:
            required.append(parameter.name)
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:  # an unresolvable forward reference, most often
        raise TypeHintParsingError(
            f"The type hints of function {name} cannot be resolved ({exc}): import the names they "
            "use in the function's module."
        ) from exc
    properties = {argument: hint_schema(hint) for argument, hint in hints.items()}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# ==================================================================== docstrings
def _first_index(text: str, words: tuple[str, ...]) -> int:
    """Where the first of `words` occurs in `text` (its length when none does)."""
    found = [at for at in (text.find(word) for word in words) if at >= 0]
    return min(found, default=len(text))


def _section(doc: str, header: str, ends: tuple[str, ...]) -> str | None:
    """The text under the first line (after the first) that reads exactly `header`, up to the
    first of `ends`; None when there is no such line."""
    lines = doc.split("\n")
    start = len(lines[0]) + 1
    for line in lines[1:-1]:  # the header line must be followed by a newline
        start += len(line) + 1
        if line.lstrip() == header:
            body = doc[start:]
            return body[: _first_index(body, ends)].strip()
    return None


def _argument_descriptions(block: str) -> dict[str, str]:
    """`name: description` entries of an `Args:` block; continuation lines join with a space.

    A line starting with `word:` opens a new entry, except right after an entry whose first line
    is empty (then it is that entry's text), as the reference reads it.
    """
    entries: list[tuple[str, list[str]]] = []
    awaiting_text = False
    for line in block.split("\n"):
        if not line.strip():
            continue
        header = _ARGUMENT_HEADER.match(line)
        if header and not awaiting_text:
            rest = line[header.end() :]
            entries.append((header[1], [rest]))
            awaiting_text = not rest.strip()
        elif entries:
            entries[-1][1].append(line)
            awaiting_text = False
    return {
        name: " ".join(piece.strip() for piece in pieces if piece.strip())
        for name, pieces in entries
    }


def parse_google_docstring(doc: str) -> tuple[str, dict[str, str], str | None]:
    """(description, {argument: description}, returns description or None) of a docstring."""
    description = doc[: _first_index(doc, ("Args:", "Returns:", "Raises:"))].strip()
    arguments = _section(doc, "Args:", ("Returns:", "Raises:"))
    returns = _section(doc, "Returns:", ("Raises:",))
    return description, _argument_descriptions(arguments) if arguments else {}, returns


def _split_choices(description: str, argument: str, name: str) -> tuple[str, list | None]:
    """A description ending in `(choices: [...])`: the text before it, and the choices."""
    mark = _CHOICES_MARK.search(description)
    text = description.rstrip()
    if mark is None or not text.endswith(")") or len(text) - 1 < mark.end():
        return description, None
    listed = text[mark.end() : len(text) - 1].lstrip()
    problem = (
        f"The '(choices: ...)' of argument '{argument}' in the docstring of {name} must be a JSON "
        'list of strings, like (choices: ["tea", "coffee"])'
    )
    try:
        choices = [choice.strip() for choice in json.loads(listed)]
    except (ValueError, TypeError, AttributeError) as exc:
        raise DocstringParsingError(f"{problem}, got {listed.strip()!r}.") from exc
    return description[: mark.start()].strip(), choices


# ==================================================================== public API
def get_json_schema(func: Callable) -> dict[str, Any]:
    """The tool schema of `func` (`{"type": "function", "function": {...}}`), from its type hints
    and Google-style docstring, for `apply_chat_template(tools=[...])`."""
    name = getattr(func, "__name__", None)
    if not isinstance(name, str):
        raise TypeHintParsingError(
            f"Cannot make a tool schema from {func!r}: it has no __name__; pass a function."
        )
    doc = inspect.getdoc(func)
    if not doc:
        raise DocstringParsingError(
            f"Cannot make a JSON schema for {name}: it has no docstring. {_DOCSTRING_HELP}"
        )
    description, argument_docs, returns_doc = parse_google_docstring(doc.strip())
    parameters = _parameters_schema(func, name)
    returns = parameters["properties"].pop("return", None)
    if returns is not None and returns_doc is not None:
        returns["description"] = returns_doc
    for argument, schema in parameters["properties"].items():
        if argument not in argument_docs:
            raise DocstringParsingError(
                f"Cannot make a JSON schema for {name}: its docstring does not describe the "
                f"argument '{argument}'. Add a '{argument}: ...' line under 'Args:'."
            )
        text, choices = _split_choices(argument_docs[argument], argument, name)
        if choices is not None:
            schema["enum"] = choices
        schema["description"] = text
    function: dict[str, Any] = {"name": name, "description": description, "parameters": parameters}
    if returns is not None:
        function["return"] = returns
    return {"type": "function", "function": function}


def tool_schemas(tools: Any) -> list[dict] | None:
    """`tools` for a chat template: JSON-schema dicts as given, functions converted."""
    if tools is None:
        return None
    schemas = []
    for tool in tools:
        if isinstance(tool, dict):
            schemas.append(tool)
        elif inspect.isfunction(tool):
            schemas.append(get_json_schema(tool))
        else:
            raise TokenizerError(
                "tools must be JSON-schema dicts or plain functions with type hints and a "
                f"Google-style docstring, got {type(tool).__name__}; for a method or another "
                "callable, pass get_json_schema(...) of it."
            )
    return schemas
