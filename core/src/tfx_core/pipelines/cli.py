"""`tfx run TASK INPUT... --model M [--option value]`: run a pipeline, print JSON.

Inputs are texts, or JSON objects for structured tasks (`'{"question": ..., "context": ...}'`);
`-` reads one input per line from stdin. Options after the inputs go to the pipeline call as
keyword arguments; values are read as JSON when they parse (`--top_k 3`, `--candidate_labels
'["a", "b"]'`) and kept as text otherwise. Question answering also takes `--question` and
`--context` instead of inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tfx_core.errors import PipelineError

#: Options consumed by `pipeline(...)` itself; every other option goes to the call.
_BUILD_OPTIONS = ("model", "tokenizer", "revision", "device", "dtype", "batch_size")


def add_run_command(subparsers: Any) -> None:
    """Register `tfx run` on the `tfx` command's subparsers."""
    run = subparsers.add_parser(
        "run",
        help="run a pipeline task on inputs and print JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("task", help="task name or alias, e.g. sentiment-analysis")
    run.add_argument(
        "arguments",
        nargs=argparse.REMAINDER,
        help="inputs, then --model M and any --option value",
    )
    run.set_defaults(func=cmd_run)


def split_arguments(arguments: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Positional inputs and `--key value` / `--key=value` / `--flag` options."""
    inputs: list[str] = []
    options: dict[str, Any] = {}
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if token.startswith("--") and len(token) > 2:
            key, sep, value = token[2:].partition("=")
            key = key.replace("-", "_")
            if not sep:
                following = arguments[index + 1] if index + 1 < len(arguments) else None
                if following is None or following.startswith("--"):
                    value = "true"
                else:
                    value = following
                    index += 1
            options[key] = value
        else:
            inputs.append(token)
        index += 1
    return inputs, options


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _input(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def cmd_run(args: argparse.Namespace) -> int:
    """Build the pipeline, run it on the inputs, print the result as JSON."""
    from tfx_core.pipelines.factory import pipeline

    texts, raw = split_arguments(args.arguments)
    if texts == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    build = {key: raw.pop(key) for key in _BUILD_OPTIONS if key in raw}
    indent = _value(raw.pop("indent", "2"))
    options = {key: _value(value) for key, value in raw.items()}
    for key in ("model", "tokenizer", "revision", "dtype"):
        if key in build:
            build[key] = str(build[key])
    if "batch_size" in build:
        build["batch_size"] = _value(build["batch_size"])
    if "device" in build:
        build["device"] = _value(build["device"])
    runner = pipeline(args.task, **build)
    inputs = [_input(text) for text in texts]
    if not inputs:
        if "question" in options and "context" in options:
            result = runner(**options)
        else:
            raise PipelineError(
                f"tfx run {args.task}: give at least one input (or - to read lines from stdin)."
            )
    else:
        result = runner(inputs[0] if len(inputs) == 1 else inputs, **options)
    print(json.dumps(_jsonable(result), indent=indent, ensure_ascii=False))
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "messages"):
        return value.messages
    return value
