"""`tfx-sdk check PATH`: run a plugin's conformance tests and print heads x frameworks coverage.

The tests run in a child pytest (the plugin's own test files, with the kit's `--tfx-report`),
so the table reflects exactly what the plugin's CI would see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from tfx_sdk.errors import CheckError

FRAMEWORKS = ("pt", "tf", "flax")
PASS, FAIL, NOT_PROVIDED, NOT_TESTED, SKIPPED = (
    "pass",
    "fail",
    "not provided",
    "not tested",
    "skipped",
)


def plugin_distribution(path: Path) -> str:
    """The distribution name in `path/pyproject.toml`, which must be installed."""
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        raise CheckError(
            f"{path} has no pyproject.toml: point tfx-sdk check at a plugin package folder "
            "(the one `tfx-sdk new` created)."
        )
    name = _project_name(pyproject.read_text(encoding="utf-8"))
    if not name:
        raise CheckError(f"{pyproject} has no [project] name = ... entry.")
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise CheckError(
            f"{name} is not installed, so tfx cannot discover it: run "
            f"`pip install -e {path}` first."
        ) from None
    return name


def _project_name(text: str) -> str | None:
    try:
        import tomllib
    except ImportError:  # Python 3.10: the first `name = "..."` of the [project] table
        section = text.partition("[project]")[2]
        match = re.search(r'^name\s*=\s*["\']([^"\']+)', section, re.MULTILINE)
        return match.group(1) if match else None
    try:
        return tomllib.loads(text)["project"]["name"]
    except (tomllib.TOMLDecodeError, KeyError):
        return None


def run_kit(path: Path, report: Path, pytest_args: Sequence[str] = ()) -> int:
    tests = path / "tests" if (path / "tests").is_dir() else path
    env = dict(os.environ)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # the kit is loaded as a pytest11 plugin
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tests),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        f"--tfx-report={report}",
        *pytest_args,
    ]
    return subprocess.call(command, cwd=path, env=env)


def _spec_frameworks(model_type: str) -> dict[str, set[str]]:
    from tfx_core.plugins import get_registry

    try:
        spec = get_registry().architecture(model_type)
    except Exception:
        return {}
    return {head.head: set(head.implementations) for head in spec.heads}


def _cell(results: list[dict[str, Any]], provided: bool | None) -> str:
    if not results:
        return NOT_TESTED if provided else NOT_PROVIDED
    outcomes = {r["outcome"] for r in results}
    if "failed" in outcomes:
        return FAIL
    if outcomes == {"skipped"}:
        if all(r["message"].startswith("not provided") for r in results):
            return NOT_PROVIDED
        return SKIPPED
    return PASS


def coverage(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, str]]]:
    """{model_type: {head: {framework: status}}} from the kit's JSON results."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    for model_type in sorted({r["model_type"] for r in results}):
        mine = [
            r for r in results if r["model_type"] == model_type and r["head"] not in (None, "none")
        ]
        spec = _spec_frameworks(model_type)
        heads = list(spec) + sorted({r["head"] for r in mine} - set(spec))
        table[model_type] = {
            head: {
                fw: _cell(
                    [r for r in mine if r["head"] == head and r["framework"] == fw],
                    fw in spec.get(head, set()) if spec else None,
                )
                for fw in FRAMEWORKS
            }
            for head in heads
        }
    return table


def format_report(results: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for model_type, heads in coverage(results).items():
        width = max([len("head"), *map(len, heads)]) + 2
        lines.append(f"\nConformance coverage: model_type {model_type!r}")
        header = "head".ljust(width) + "".join(fw.ljust(14) for fw in FRAMEWORKS)
        lines.append(header.rstrip())
        for head, cells in heads.items():
            row = head.ljust(width) + "".join(cells[fw].ljust(14) for fw in FRAMEWORKS)
            lines.append(row.rstrip())
        plugin_level = [r for r in results if r["model_type"] == model_type and r["head"] is None]
        counts = {
            o: sum(r["outcome"] == o for r in plugin_level) for o in ("passed", "failed", "skipped")
        }
        lines.append(
            "plugin checks (discovery, config, tokenizer, tasks): "
            + ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        )
        failed = [r for r in results if r["model_type"] == model_type and r["outcome"] == "failed"]
        for result in failed:
            where = "-".join(
                str(result[a]) for a in ("head", "framework", "dtype", "task") if result[a]
            )
            label = f"{result['check']}[{where}]" if where else result["check"]
            first_line = (result["message"].strip().splitlines() or ["(no message)"])[0]
            lines.append(f"  FAIL {label}: {first_line[:300]}")
    return "\n".join(lines).lstrip("\n")


def check(
    path: str | os.PathLike, pytest_args: Sequence[str] = (), out: TextIO | None = None
) -> int:
    """Run the kit on the plugin package at `path`, print the table, return pytest's exit code."""
    out = out or sys.stdout
    folder = Path(path).resolve()
    plugin_distribution(folder)
    with tempfile.TemporaryDirectory(prefix="tfx-sdk-check-") as tmp:
        report = Path(tmp) / "report.json"
        code = run_kit(folder, report, pytest_args)
        results = json.loads(report.read_text())["results"] if report.exists() else []
    if not results:
        print(
            f"\nNo conformance tests ran in {folder}: add tests/test_conformance.py with a "
            "`class TestConformance(tfx_sdk.conformance.ConformanceSuite)` that sets `tester`.",
            file=out,
        )
        return code or 1
    print("\n" + format_report(results), file=out)
    return code
