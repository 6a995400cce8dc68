"""Helpers for the SDK's tests: make a plugin package discoverable without pip, run pytest on it.

`stage_plugin` copies a package to a temporary folder and writes the `.dist-info` an editable
install would (metadata + `tfx.plugins` entry points) next to its sources; a child process with
that folder on PYTHONPATH discovers the plugin exactly as if it were installed, and nothing is
added to the shared environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def _entry_points(pyproject: str) -> list[tuple[str, str]]:
    section = pyproject.split('[project.entry-points."tfx.plugins"]', 1)[1].split("\n[", 1)[0]
    return re.findall(r'^([\w.-]+)\s*=\s*"([^"]+)"', section, re.MULTILINE)


def stage_plugin(source: Path, root: Path) -> tuple[Path, dict[str, str]]:
    """Copy the package at `source` under `root`; return its folder and a child environment."""
    target = root / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name = "([^"]+)"', pyproject, re.MULTILINE).group(1)
    dist_info = target / "src" / f"{name.replace('-', '_')}-0.0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    lines = "".join(f"{ep} = {value}\n" for ep, value in _entry_points(pyproject))
    (dist_info / "entry_points.txt").write_text(f"[tfx.plugins]\n{lines}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target / "src"), env.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return target, env


def run_pytest(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the package's tests in a child pytest; -rA lists every test with its outcome."""
    command = [sys.executable, "-m", "pytest", "tests", "-q", "-rA", "-p", "no:cacheprovider"]
    command += ["-p", "no:xdist", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def staging():
    """`stage_plugin` and `run_pytest` for tests (conftest is not importable as a module)."""
    return stage_plugin, run_pytest


@pytest.fixture(scope="session")
def fixture_runs(tmp_path_factory: pytest.TempPathFactory):
    """Run the kit once per broken fixture plugin (cached for the session)."""
    cache: dict[str, tuple[Path, dict[str, str], subprocess.CompletedProcess]] = {}

    def run(name: str):
        if name not in cache:
            folder, env = stage_plugin(FIXTURES / name, tmp_path_factory.mktemp(name))
            cache[name] = (folder, env, run_pytest(folder, env))
        return cache[name]

    return run
