"""The core's own plugin: the pipeline tasks and tokenizer converters tfx ships.

It uses the same hooks as any third-party plugin, so tasks and converters added by plugins sit
beside these.
"""

from __future__ import annotations

from tfx_core.pipelines.tasks import builtin_tasks
from tfx_core.plugins.hookspecs import hookimpl
from tfx_core.tokenization.converters.catalog import builtin_converter_specs


@hookimpl
def tfx_tasks() -> list:
    return builtin_tasks()


@hookimpl
def tfx_tokenizer_converters() -> list:
    return builtin_converter_specs()
