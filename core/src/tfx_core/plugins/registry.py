"""Plugin discovery and the registry of architectures, tasks and tokenizer converters.

Plugins are found through the `tfx.plugins` entry point group and loaded into a
`pluggy.PluginManager("tfx")`. Faults stay contained: a plugin whose module fails to import, or
whose hook raises or returns garbage, is recorded with its error and skipped. Two plugins claiming
one `model_type` (or task) is an error when that model type is asked for, naming both
distributions; `TFX_PREFER` or `PluginRegistry.prefer` chooses one explicitly.

Environment:
    TFX_PLUGINS                   comma-separated allow-list of entry-point or distribution names
    TFX_DISABLE_PLUGIN_AUTOLOAD   "1" to load no entry points (programmatic registration only)
    TFX_PREFER                    "model_type=distribution,..." to settle conflicts
    TFX_PLUGIN_IMPORT_TIMEOUT     seconds a plugin's entry module may take to import (60)

A plugin module is imported in a helper thread with a time limit, with its printed output sent
to stderr (so `tfx plugins --json` stays parseable); `SystemExit` or any other exception it
raises, a hook that fails or returns something other than specs, and a plugin that asks for the
registry while the registry is loading it, all mark only that plugin as failed.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from tfx_core.errors import ModelTypeNotFoundError, PipelineError, PluginConflictError, PluginError
from tfx_core.plugins import hookspecs
from tfx_core.plugins.specs import ArchitectureSpec, TaskSpec, TokenizerConverterSpec

ENTRY_POINT_GROUP = "tfx.plugins"
BUILTIN_PLUGIN = "tfx-core-builtin"
_TRUE = {"1", "true", "yes", "on"}
DEFAULT_IMPORT_TIMEOUT = 60.0
_import_state = threading.local()  # .active: this thread is importing a plugin module


@dataclass
class PluginInfo:
    """What `tfx plugins` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    status: str  # "loaded" | "failed" | "disabled" | "registered"
    error: str | None = None
    model_types: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    converters: list[str] = field(default_factory=list)
    traceback: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "model_types": self.model_types,
            "tasks": self.tasks,
            "converters": self.converters,
        }


@dataclass
class _Claim:
    plugin: str
    distribution: str | None
    spec: Any


def _csv_env(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def _package_for(model_type: str) -> str:
    return f"tfx-plugin-{_normalise(model_type)}"


class PluginRegistry:
    """All plugins of this process and what they provide. Use `get_registry()` to get it."""

    def __init__(self, *, autoload: bool | None = None) -> None:
        self._manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._preferences: dict[str, str] = {}
        self._lock = threading.RLock()
        self._index: dict[str, dict[str, list[_Claim]]] | None = None
        self._building = False
        for item in _csv_env("TFX_PREFER"):
            model_type, _, distribution = item.partition("=")
            if distribution:
                self._preferences[model_type.strip()] = distribution.strip()
        if autoload is None:
            autoload = os.environ.get("TFX_DISABLE_PLUGIN_AUTOLOAD", "").lower() not in _TRUE
        self._register_builtin()
        if autoload:
            self._load_entry_points()

    # ----------------------------------------------------------------- loading
    def _register_builtin(self) -> None:
        from tfx_core import builtin_plugin

        self._manager.register(builtin_plugin, name=BUILTIN_PLUGIN)
        self._infos[BUILTIN_PLUGIN] = PluginInfo(
            BUILTIN_PLUGIN, "tfx-core", _dist_version("tfx-core"), "loaded"
        )

    def _load_entry_points(self) -> None:
        allow = {_normalise(name) for name in _csv_env("TFX_PLUGINS")}
        for entry_point in sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
        ):
            if entry_point.name in self._infos:
                continue
            dist = entry_point.dist
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            info = PluginInfo(entry_point.name, dist_name, version, "loaded")
            self._infos[entry_point.name] = info
            if allow and not (
                _normalise(entry_point.name) in allow
                or (dist_name is not None and _normalise(dist_name) in allow)
            ):
                info.status = "disabled"
                info.error = "not in the TFX_PLUGINS allow-list"
                continue
            try:
                module = _import_entry_point(entry_point, _import_timeout())
                self._manager.register(module, name=entry_point.name)
            except BaseException as exc:  # SystemExit too: one plugin must not end the process
                if isinstance(exc, KeyboardInterrupt):
                    raise
                info.status = "failed"
                info.error = f"import failed: {type(exc).__name__}: {exc}"
                info.traceback = "".join(traceback.format_exception(exc))

    def register(self, plugin: Any, name: str | None = None, *, override: bool = False) -> str:
        """Register a plugin object or module that is not installed (notebooks, tests).

        With `override=True` its architectures and tasks win over installed plugins that
        claim the same names.
        """
        with self._lock:
            name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
            if name in self._infos and self._infos[name].status != "failed":
                raise PluginError(f"A plugin named {name!r} is already registered.")
            self._manager.register(plugin, name=name)
            self._infos[name] = PluginInfo(name, None, None, "registered")
            self._index = None
            if override:
                for model_type in self._collect_names(name, "tfx_architectures"):
                    self._preferences[model_type] = name
                for task in self._collect_names(name, "tfx_tasks"):
                    self._preferences[f"task:{task}"] = name
            return name

    def unregister(self, name: str) -> None:
        with self._lock:
            plugin = self._manager.get_plugin(name)
            if plugin is not None:
                self._manager.unregister(plugin, name=name)
            self._infos.pop(name, None)
            self._index = None

    def prefer(self, model_type: str, distribution: str) -> None:
        """Settle a conflict: serve `model_type` from `distribution` (or plugin name)."""
        with self._lock:
            self._preferences[model_type] = distribution
            self._index = None

    def _collect_names(self, plugin_name: str, hook: str) -> list[str]:
        names = []
        for spec in self._call_one(plugin_name, hook):
            names.append(getattr(spec, "model_type", None) or getattr(spec, "name", None))
        return [n for n in names if n]

    def _call_one(self, plugin_name: str, hook: str) -> list:
        plugin = self._manager.get_plugin(plugin_name)
        impls = [
            impl
            for impl in getattr(self._manager.hook, hook).get_hookimpls()
            if impl.plugin is plugin
        ]
        results: list = []
        for impl in impls:
            with _stdout_to_stderr():
                returned = impl.function()
            if returned is None:
                continue
            if not isinstance(returned, (list, tuple)):
                raise PluginError(f"the hook returned {type(returned).__name__}, not a list")
            results.extend(returned)
        return results

    # ---------------------------------------------------------------- indexing
    _EXPECTED = {
        "tfx_architectures": ArchitectureSpec,
        "tfx_tasks": TaskSpec,
        "tfx_tokenizer_converters": TokenizerConverterSpec,
    }

    def _build_index(self) -> dict[str, dict[str, list[_Claim]]]:
        with self._lock:
            if self._index is not None:
                return self._index
            if self._building:
                raise PluginError(
                    "A plugin hook asked the registry for plugins while the registry was "
                    "calling the hooks; hooks must only return specs."
                )
            self._building = True
            try:
                return self._build_index_locked()
            finally:
                self._building = False

    def _build_index_locked(self) -> dict[str, dict[str, list[_Claim]]]:
        index: dict[str, dict[str, list[_Claim]]] = {
            "tfx_architectures": {},
            "tfx_tasks": {},
            "tfx_tokenizer_converters": {},
        }
        for info in self._infos.values():
            if info.status not in ("loaded", "registered"):
                continue
            info.model_types, info.tasks, info.converters = [], [], []
            for hook, expected in self._EXPECTED.items():
                try:
                    specs = self._call_one(info.name, hook)
                    for spec in specs:
                        if not isinstance(spec, expected):
                            raise PluginError(
                                f"hook {hook} returned {spec!r}, expected {expected.__name__}"
                            )
                        key = spec.model_type if hook == "tfx_architectures" else spec.name
                        if not isinstance(key, str) or not key:
                            raise PluginError(
                                f"hook {hook} returned a spec named {key!r}; names must be "
                                "non-empty strings"
                            )
                except BaseException as exc:  # SystemExit in a hook fails that plugin only
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    info.status = "failed"
                    info.error = f"{hook} failed: {type(exc).__name__}: {exc}"
                    info.traceback = traceback.format_exc()
                    break
                for spec in specs:
                    key = spec.model_type if hook == "tfx_architectures" else spec.name
                    claim = _Claim(info.name, info.distribution, spec)
                    index[hook].setdefault(key, []).append(claim)
                    if hook == "tfx_architectures":
                        info.model_types.append(key)
                    elif hook == "tfx_tasks":
                        info.tasks.append(key)
                    else:
                        info.converters.append(key)
        # A plugin that failed midway must not leave half its specs behind.
        failed = {name for name, info in self._infos.items() if info.status == "failed"}
        for table in index.values():
            for key in list(table):
                table[key] = [c for c in table[key] if c.plugin not in failed]
                if not table[key]:
                    del table[key]
        self._index = index
        return index

    def _choose(self, kind: str, key: str, claims: list[_Claim]) -> _Claim:
        if len(claims) == 1:
            return claims[0]
        preference_key = key if kind == "model type" else f"task:{key}"
        preferred = self._preferences.get(preference_key) or self._preferences.get(key)
        if preferred is not None:
            for claim in claims:
                if preferred in (claim.plugin, claim.distribution) or (
                    claim.distribution and _normalise(preferred) == _normalise(claim.distribution)
                ):
                    return claim
        owners = ", ".join(f"{c.distribution or c.plugin} (plugin {c.plugin!r})" for c in claims)
        first = claims[0].distribution or claims[0].plugin
        raise PluginConflictError(
            f"The {kind} {key!r} is claimed by more than one plugin: {owners}. "
            f"Choose one with the environment variable TFX_PREFER='{key}={first}', or "
            f"tfx_core.plugins.get_registry().prefer({key!r}, {first!r}), "
            "or uninstall the one you do not want."
        )

    # ----------------------------------------------------------------- queries
    def architecture(self, model_type: str) -> ArchitectureSpec:
        """The spec serving `model_type`; errors name the package to install or the conflict."""
        if not isinstance(model_type, str):
            raise ModelTypeNotFoundError(
                f"A model type is a string such as 'bert', got {model_type!r}: the checkpoint's "
                "config.json is malformed."
            )
        claims = self._build_index()["tfx_architectures"].get(model_type)
        if not claims:
            raise ModelTypeNotFoundError(self._missing_message("model type", model_type))
        return self._choose("model type", model_type, claims).spec

    def architectures(self) -> dict[str, list[ArchitectureSpec]]:
        """Every model type and the specs claiming it (more than one means a conflict)."""
        table = self._build_index()["tfx_architectures"]
        return {key: [c.spec for c in claims] for key, claims in sorted(table.items())}

    def task(self, name: str) -> TaskSpec:
        """The spec of task `name` or one of its aliases."""
        if not isinstance(name, str):
            raise PipelineError(f"A task name is a string such as 'fill-mask', got {name!r}.")
        table = self._build_index()["tfx_tasks"]
        claims = table.get(name)
        if not claims:
            claims = [c for cs in table.values() for c in cs if name in c.spec.aliases]
            if claims:
                name = claims[0].spec.name
                claims = table[name]
        if not claims:
            known = sorted(set(table) | {a for cs in table.values() for a in cs[0].spec.aliases})
            raise PipelineError(
                f"Unknown task {name!r}. Known tasks: {', '.join(known) or 'none'}. "
                f"Installed plugins: {', '.join(self._plugin_summary()) or 'none'}."
            )
        return self._choose("task", name, claims).spec

    def tasks(self) -> dict[str, TaskSpec]:
        table = self._build_index()["tfx_tasks"]
        return {name: claims[0].spec for name, claims in sorted(table.items())}

    def tokenizer_converters(self) -> list[TokenizerConverterSpec]:
        table = self._build_index()["tfx_tokenizer_converters"]
        return [claim.spec for claims in table.values() for claim in claims]

    def plugins(self) -> list[PluginInfo]:
        self._build_index()
        return list(self._infos.values())

    def distribution_of(self, model_type: str) -> str | None:
        claims = self._build_index()["tfx_architectures"].get(model_type) or []
        return claims[0].distribution if len(claims) == 1 else None

    def _plugin_summary(self) -> list[str]:
        return [f"{info.name} ({info.status})" for info in self._infos.values()]

    def _missing_message(self, kind: str, key: str) -> str:
        message = (
            f"No installed plugin serves the {kind} {key!r}. "
            f"Install it with `pip install {_package_for(key)}` (or the plugin that provides it)."
        )
        failed = [i for i in self._infos.values() if i.status == "failed"]
        if failed:
            details = "; ".join(f"{i.name}: {i.error}" for i in failed)
            message += f" Some plugins failed to load and may be the ones you need: {details}."
        disabled = [i.name for i in self._infos.values() if i.status == "disabled"]
        if disabled:
            message += f" Disabled by TFX_PLUGINS: {', '.join(disabled)}."
        return message


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


_registry: PluginRegistry | None = None
_registry_lock = threading.Lock()


def _import_timeout() -> float:
    value = os.environ.get("TFX_PLUGIN_IMPORT_TIMEOUT", "")
    try:
        return float(value) if value.strip() else DEFAULT_IMPORT_TIMEOUT
    except ValueError:
        return DEFAULT_IMPORT_TIMEOUT


@contextlib.contextmanager
def _stdout_to_stderr():
    """Plugins' prints go to stderr, so the CLI's JSON on stdout stays clean."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _import_entry_point(entry_point: metadata.EntryPoint, timeout: float) -> Any:
    """Import a plugin's entry module in a helper thread, giving up after `timeout` seconds."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        _import_state.active = True
        try:
            outcome["module"] = entry_point.load()
        except BaseException as exc:  # reported by the caller, SystemExit included
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=f"tfx-plugin-{entry_point.name}", daemon=True)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        thread.start()
        thread.join(timeout)
    if captured.getvalue():
        sys.stderr.write(captured.getvalue())
    if thread.is_alive():
        raise PluginError(
            f"importing {entry_point.value} did not finish within {timeout:g} s (it may wait "
            "for the network or a lock); set TFX_PLUGIN_IMPORT_TIMEOUT to wait longer"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["module"]


def get_registry() -> PluginRegistry:
    """The process-wide registry, loading installed plugins on first use."""
    global _registry
    if getattr(_import_state, "active", False):
        raise PluginError(
            "A plugin called tfx_core.plugins.get_registry() while it was being imported; the "
            "registry is still loading it. Call it later (inside a function), not at import."
        )
    with _registry_lock:
        if _registry is None:
            _registry = PluginRegistry()
        return _registry


def reset_registry() -> None:
    """Forget the registry so the next `get_registry()` rediscovers plugins (env changes, tests)."""
    global _registry
    with _registry_lock:
        _registry = None


def register_plugin(plugin: Any, name: str | None = None, *, override: bool = False) -> str:
    """Register a plugin object or module with the process-wide registry."""
    return get_registry().register(plugin, name, override=override)


def iter_plugin_infos() -> Iterable[PluginInfo]:
    return iter(get_registry().plugins())
