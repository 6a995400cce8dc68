"""Lazy `"module:attribute"` references, so plugin discovery imports no modeling code."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from tfx_core.errors import PluginError


def split_reference(reference: str) -> tuple[str, str]:
    """Split `"pkg.module:Attr"` into its module and attribute, rejecting anything else."""
    module, sep, attribute = reference.partition(":")
    if not sep or not module or not attribute:
        raise PluginError(
            f"Invalid reference {reference!r}: expected 'package.module:Attribute'. "
            "Plugin specs name their classes this way so discovery stays lazy."
        )
    return module, attribute


def import_string(reference: str) -> Any:
    """Import and return the attribute named by `"module:Attr"` (dotted attributes allowed).

    Only plugin specs are resolved this way; configuration values never are.
    """
    module_name, attribute = split_reference(reference)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # the plugin's own module is broken: say which and why
        raise PluginError(
            f"Could not import module {module_name!r} (for {reference!r}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise PluginError(
                f"Module {module_name!r} has no attribute {attribute!r} (for {reference!r})."
            ) from exc
    return obj


def is_available(module_name: str) -> bool:
    """Whether a module can be imported, without importing it."""
    return importlib.util.find_spec(module_name) is not None
