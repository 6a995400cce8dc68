"""Plugin discovery: specs, hook markers and the registry (see `registry` for the policy)."""

from tfx_core.plugins.hookspecs import hookimpl, hookspec
from tfx_core.plugins.registry import (
    ENTRY_POINT_GROUP,
    PluginInfo,
    PluginRegistry,
    get_registry,
    register_plugin,
    reset_registry,
)
from tfx_core.plugins.specs import (
    FRAMEWORKS,
    KNOWN_HEADS,
    ArchitectureSpec,
    HeadSpec,
    TaskSpec,
    TokenizerConverterSpec,
    head_specs,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FRAMEWORKS",
    "KNOWN_HEADS",
    "ArchitectureSpec",
    "HeadSpec",
    "PluginInfo",
    "PluginRegistry",
    "TaskSpec",
    "TokenizerConverterSpec",
    "get_registry",
    "head_specs",
    "hookimpl",
    "hookspec",
    "register_plugin",
    "reset_registry",
]
