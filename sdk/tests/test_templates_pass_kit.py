"""The decoder template renders a package whose own kit-driven tests pass before any edit.

(The encoder template goes through the full author path, pip install included, in the
repository's tests/test_sdk_end_to_end.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfx_sdk.scaffold import new_plugin

pytestmark = pytest.mark.slow


def test_gpt2_like_template_passes_its_generated_tests(tmp_path: Path, staging) -> None:
    stage_plugin, run_pytest = staging
    rendered = new_plugin("kit-decoder", like="gpt2", dest=tmp_path / "rendered")
    folder, env = stage_plugin(rendered, tmp_path / "staged")
    result = run_pytest(folder, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for check in (
        "test_discovery",
        "test_greedy_generation[causal-lm-pt]",
        "test_pipeline[text-generation]",
    ):
        assert f"PASSED tests/test_conformance.py::TestConformance::{check}" in result.stdout
