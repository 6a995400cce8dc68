"""The names a new plugin gets from the one its author types, and why a name is refused.

One name feeds four namespaces at once: the checkpoint's `model_type`, the Python package
`tfx_plugin_<name>`, the distribution `tfx-plugin-<name>` and the class prefix (`MyArchModel`).
A name is accepted only when it is valid in all of them and free in each.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tfx_sdk.errors import ScaffoldError

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_CLASS_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9]*$")
MAX_LENGTH = 40


@dataclass(frozen=True)
class PluginNames:
    """Every name derived from `name`, as the templates use them."""

    name: str
    model_type: str
    module: str  # my_arch: file suffix and base_model_prefix
    package: str  # tfx_plugin_my_arch
    distribution: str  # tfx-plugin-my-arch
    entry_point: str  # my-arch
    class_prefix: str  # MyArch

    @classmethod
    def derive(
        cls, name: str, *, model_type: str | None = None, class_prefix: str | None = None
    ) -> PluginNames:
        validate_name(name)
        module = name.replace("-", "_")
        prefix = class_prefix or "".join(part.capitalize() for part in re.split(r"[-_]", name))
        if not _CLASS_PREFIX.match(prefix):
            raise ScaffoldError(
                f"Class prefix {prefix!r} is not a CamelCase identifier; pass one like 'MyArch' "
                "(classes become MyArchConfig, MyArchModel, MyArchForMaskedLM, ...)."
            )
        model_type = model_type or name
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", model_type):
            raise ScaffoldError(
                f"model_type {model_type!r} must be lower-case letters, digits, '-' or '_' "
                "(it is written to config.json and looked up by the registry)."
            )
        return cls(
            name=name,
            model_type=model_type,
            module=module,
            package=f"tfx_plugin_{module}",
            distribution=f"tfx-plugin-{name.replace('_', '-')}",
            entry_point=name,
            class_prefix=prefix,
        )


def validate_name(name: str) -> None:
    """Raise `ScaffoldError` saying how to fix `name` when it cannot name a plugin."""
    rule = (
        "Use lower-case letters and digits, starting with a letter, with single '-' or '_' "
        "between words (e.g. 'my-arch'): the name becomes the model_type, the package "
        "tfx_plugin_<name> and the distribution tfx-plugin-<name>."
    )
    if not isinstance(name, str) or not name:
        raise ScaffoldError(f"A plugin needs a name. {rule}")
    if len(name) > MAX_LENGTH:
        raise ScaffoldError(f"Plugin name {name!r} is longer than {MAX_LENGTH} characters. {rule}")
    if not _NAME.match(name):
        raise ScaffoldError(f"{name!r} is not a valid plugin name. {rule}")
    module = name.replace("-", "_")
    if keyword.iskeyword(module) or not module.isidentifier():
        raise ScaffoldError(f"{name!r} is a Python keyword and cannot name a package. {rule}")
    if name.startswith(("tfx-plugin", "tfx_plugin")):
        raise ScaffoldError(
            f"Drop the prefix: pass {name.split('plugin', 1)[1].lstrip('-_') or 'my-arch'!r}; "
            "the scaffolder adds tfx-plugin- / tfx_plugin_ itself."
        )


def check_available(names: PluginNames, target: Path) -> None:
    """Raise `ScaffoldError` naming who holds `names` already: a folder, a package, a plugin."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(
            f"{target} already exists and is not empty: choose another name, pass --dest to "
            "render somewhere else, or remove the folder."
        )
    try:
        installed = metadata.distribution(names.distribution)
    except metadata.PackageNotFoundError:
        installed = None
    if installed is not None:
        raise ScaffoldError(
            f"The name {names.name!r} is taken: the distribution {names.distribution} "
            f"{installed.version} is already installed. Choose another name (or uninstall it)."
        )
    if importlib.util.find_spec(names.package) is not None:
        raise ScaffoldError(
            f"The name {names.name!r} is taken: a Python package {names.package!r} is already "
            "importable in this environment. Choose another name."
        )
    owner = _plugin_serving(names.model_type)
    if owner is not None:
        raise ScaffoldError(
            f"The name {names.name!r} is taken: model_type {names.model_type!r} is already served "
            f"by the installed plugin {owner}. Choose another name, or pass --model-type with a "
            "model type no plugin serves."
        )


def _plugin_serving(model_type: str) -> str | None:
    """The installed plugin (distribution or entry-point name) that serves `model_type`."""
    from tfx_core.plugins import get_registry

    registry = get_registry()
    for info in registry.plugins():
        if model_type in info.model_types:
            return info.distribution or info.name
        if info.name == model_type and info.status != "disabled":
            return info.distribution or info.name
    return None
