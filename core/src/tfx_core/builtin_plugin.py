"""The core's own plugin: the pipeline tasks tfx ships, registered through `tfx_tasks`.

It uses the same hook as any third-party plugin, so tasks added by plugins sit beside these.
"""

from __future__ import annotations

from tfx_core.pipelines.tasks import builtin_tasks
from tfx_core.plugins.hookspecs import hookimpl


@hookimpl
def tfx_tasks() -> list:
    return builtin_tasks()
