"""A new author's path, end to end: `tfx-sdk new` -> pip install -> `tfx plugins` -> AutoModel ->
the generated tests pass (the kit, including what the core blocks promise: fast path ==
module path, hooks and class-level patches honoured, fused weights correct after `.to()`,
loading and an optimizer step) -> pip uninstall.

The package is rendered into a temporary folder outside the repository and installed (editable,
no dependencies, no network) into the test environment itself, so discovery goes through the
real entry-point machinery. It is always uninstalled, even when a step fails.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def run(
    *command: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *command], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


PYTEST = ("-m", "pytest", "tests", "-q", "-rA", "-p", "no:cacheprovider", "-p", "no:xdist")
SUITE = "tests/test_conformance.py::TestConformance::"
HEADS = (
    "base",
    "masked-lm",
    "sequence-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
)
FAST_PATH_CHECKS = (
    "test_fast_path_matches_modules",
    "test_layer_hook_honoured",
    "test_layer_patch_honoured",
    "test_fused_weights_follow_dtype_moves",
    "test_fused_weights_follow_loading",
    "test_fused_weights_follow_training",
)

LOAD_THROUGH_AUTO = """
import sys, tempfile
from tfx_core import AutoConfig, AutoModel, AutoModelForMaskedLM
model_type = sys.argv[1]
config = AutoConfig.for_model(model_type, vocab_size=64, hidden_size=16, num_hidden_layers=1,
                              num_attention_heads=2, intermediate_size=24)
folder = tempfile.mkdtemp()
AutoModelForMaskedLM.from_config(config).save_pretrained(folder)
model = AutoModel.from_pretrained(folder)
print(type(model).__module__, type(model).__name__, type(AutoModelForMaskedLM.from_pretrained(folder)).__name__)
"""


def test_scaffold_install_discover_load_test_uninstall() -> None:
    suffix = uuid.uuid4().hex[:6]
    name = f"e2e-arch-{suffix}"
    package = f"tfx_plugin_e2e_arch_{suffix}"
    distribution = f"tfx-plugin-{name}"
    workdir = Path(tempfile.mkdtemp(prefix="tfx-sdk-e2e-"))
    assert REPO not in workdir.parents
    installed = False
    try:
        created = run("-m", "tfx_sdk.cli", "new", name, "--like", "encoder", "--dest", str(workdir))
        assert created.returncode == 0, created.stderr
        folder = workdir / name

        # Offline: build with the environment's setuptools when it has one (no isolated env).
        offline = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
        install = run(
            "-m",
            "pip",
            "install",
            "--no-deps",
            *offline,
            "--disable-pip-version-check",
            "-q",
            "-e",
            str(folder),
        )
        installed = True
        assert install.returncode == 0, install.stderr[-3000:]

        listed = run("-m", "tfx_core.cli", "plugins", "--json")
        assert listed.returncode == 0, listed.stderr
        mine = [p for p in json.loads(listed.stdout) if p["distribution"] == distribution]
        assert mine and mine[0]["status"] == "loaded", listed.stdout
        assert mine[0]["model_types"] == [name]

        loaded = run("-c", LOAD_THROUGH_AUTO, name)
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        module, base_class, mlm_class = loaded.stdout.split()
        assert module == f"{package}.modeling_e2e_arch_{suffix}"
        assert (base_class, mlm_class) == (
            "E2eArch" + suffix.capitalize() + "Model",
            "E2eArch" + suffix.capitalize() + "ForMaskedLM",
        )

        tests = run(*PYTEST, cwd=folder)
        assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
        assert " passed" in tests.stdout and "failed" not in tests.stdout
        for head in HEADS:
            for check in FAST_PATH_CHECKS:
                assert f"PASSED {SUITE}{check}[{head}-pt]" in tests.stdout, (check, head)
    finally:
        if installed:
            removed = run("-m", "pip", "uninstall", "-y", "-q", distribution)
            assert removed.returncode == 0, removed.stderr
        shutil.rmtree(workdir, ignore_errors=True)
    after = run("-c", f"import importlib.util as u; print(u.find_spec({package!r}) is None)")
    assert after.stdout.strip() == "True"
