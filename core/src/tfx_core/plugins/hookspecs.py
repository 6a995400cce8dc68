"""The hooks a tfx plugin may implement.

A plugin is a module (named by a `tfx.plugins` entry point) with functions decorated by
`tfx_core.plugins.hookimpl`. Every hook takes no arguments and returns a list; the core calls each
plugin's implementation separately, so one plugin that raises is reported and skipped while the
others keep working. Implementations must stay cheap: return specs whose classes are
`"module:Class"` strings and import no framework.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "tfx"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def tfx_architectures() -> list:  # list[ArchitectureSpec]
    """Return the architectures this plugin serves, one `ArchitectureSpec` per `model_type`."""


@hookspec
def tfx_tasks() -> list:  # list[TaskSpec]
    """Return pipeline tasks this plugin adds, one `TaskSpec` per task name."""


@hookspec
def tfx_tokenizer_converters() -> list:  # list[TokenizerConverterSpec]
    """Return converters that build a fast tokenizer from legacy vocabulary files."""
