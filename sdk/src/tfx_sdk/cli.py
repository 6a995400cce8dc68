"""The `tfx-sdk` command: `new` scaffolds a plugin package, `check` runs the conformance kit."""

from __future__ import annotations

import argparse
import sys

from tfx_core.errors import TfxError


def cmd_new(args: argparse.Namespace) -> int:
    from tfx_sdk.scaffold import new_plugin

    folder = new_plugin(
        args.name,
        like=args.like,
        dest=args.dest,
        model_type=args.model_type,
        class_prefix=args.class_prefix,
        description=args.description,
    )
    print(f"Created {folder}")
    print("Next steps:")
    print(f"    pip install -e {folder}")
    print("    tfx plugins                 # lists it")
    print(f"    tfx-sdk check {folder}      # runs the conformance kit, prints coverage")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from tfx_sdk.check import check

    return check(args.path, args.pytest_args)


def build_parser() -> argparse.ArgumentParser:
    from tfx_sdk.scaffold import LIKES

    parser = argparse.ArgumentParser(prog="tfx-sdk", description="build tfx architecture plugins")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="render a new plugin package from the templates")
    new.add_argument("name", help="plugin name, e.g. my-arch (model_type, tfx-plugin-<name>)")
    new.add_argument(
        "--like",
        choices=LIKES,
        default="encoder",
        metavar="{encoder,decoder,seq2seq,vision,speech}",
        help="start from an encoder (the default; alias bert), a decoder (alias gpt2), an "
        "encoder-decoder (alias bart), an image encoder (alias vit) or a speech encoder "
        "(alias wav2vec2)",
    )
    new.add_argument("--dest", default=".", help="folder to create the package in (default .)")
    new.add_argument("--model-type", help="model_type in config.json (default: the name)")
    new.add_argument("--class-prefix", help="class name prefix (default: from the name, MyArch)")
    new.add_argument("--description", help="one-line description for pyproject and README")
    new.set_defaults(func=cmd_new)
    check = sub.add_parser("check", help="run the conformance kit on a plugin package")
    check.add_argument("path", help="the plugin package folder (with pyproject.toml)")
    check.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TfxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
