"""The `tfx` command: `tfx plugins`, `tfx env`, `tfx run TASK INPUT... --model M`."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from importlib import metadata
from typing import Any

from tfx_core import __version__

_FRAMEWORK_DISTRIBUTIONS = ("torch", "tensorflow", "keras", "jax", "flax")
_LIBRARY_DISTRIBUTIONS = ("tokenizers", "safetensors", "huggingface_hub", "pluggy", "numpy")


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def cmd_plugins(args: argparse.Namespace) -> int:
    """List discovered plugins: loaded, failed (with the reason) or disabled."""
    from tfx_core.plugins import get_registry

    infos = get_registry().plugins()
    if args.json:
        print(json.dumps([info.to_dict() for info in infos], indent=2))
        return 0
    for info in infos:
        dist = f"{info.distribution} {info.version}" if info.distribution else "not installed"
        print(f"{info.name}  [{info.status}]  ({dist})")
        if info.model_types:
            print(f"    model types: {', '.join(info.model_types)}")
        if info.tasks:
            print(f"    tasks: {', '.join(info.tasks)}")
        if info.converters:
            print(f"    tokenizer converters: {', '.join(info.converters)}")
        if info.error:
            print(f"    reason: {info.error}")
    failed = [info for info in infos if info.status == "failed"]
    return 1 if failed and args.strict else 0


def environment_report() -> dict[str, Any]:
    from tfx_core.plugins import get_registry

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "tfx-core": __version__,
        "plugins": {
            info.distribution or info.name: info.version
            for info in get_registry().plugins()
            if info.name != "tfx-core-builtin"
        },
        "frameworks": {name: _version(name) for name in _FRAMEWORK_DISTRIBUTIONS},
        "libraries": {name: _version(name) for name in _LIBRARY_DISTRIBUTIONS},
    }


def cmd_env(args: argparse.Namespace) -> int:
    """Print versions of Python, tfx, plugins and frameworks (for bug reports)."""
    report = environment_report()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for key in ("python", "platform", "tfx-core"):
        print(f"{key}: {report[key]}")
    for section in ("plugins", "frameworks", "libraries"):
        print(f"{section}:")
        for name, version in report[section].items():
            print(f"    {name}: {version or 'not installed'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfx", description="tfx command line")
    sub = parser.add_subparsers(dest="command", required=True)
    plugins = sub.add_parser("plugins", help="list discovered plugins and their status")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.add_argument("--strict", action="store_true", help="exit 1 if a plugin failed")
    plugins.set_defaults(func=cmd_plugins)
    env = sub.add_parser("env", help="versions of python, tfx, plugins and frameworks")
    env.add_argument("--json", action="store_true", help="print JSON")
    env.set_defaults(func=cmd_env)
    from tfx_core.pipelines.cli import add_run_command

    add_run_command(sub)
    train = sub.add_parser("train", help="fine-tune a model on CSV/JSON files (PyTorch)")
    train.set_defaults(func=cmd_train)
    from tfx_core.training.recipes import add_arguments

    add_arguments(train)
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    """Fine-tune, evaluate and save (`tfx train text-classification --model M ...`)."""
    from tfx_core.training.recipes import run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    from tfx_core.errors import TfxError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TfxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
