"""The decoder template renders a package whose own kit-driven tests pass before any edit,
including the checks of what the core blocks promise (fast path == modules, hooks and
class-level patches honoured on every decode step, fused weights following the Parameters).

(The encoder template goes through the full author path, pip install included, in the
repository's tests/test_sdk_end_to_end.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfx_sdk.scaffold import new_plugin

pytestmark = pytest.mark.slow

SUITE = "tests/test_conformance.py::TestConformance::"


def test_decoder_template_passes_its_generated_tests(tmp_path: Path, staging) -> None:
    stage_plugin, run_pytest = staging
    rendered = new_plugin("kit-decoder", like="gpt2", dest=tmp_path / "rendered")
    folder, env = stage_plugin(rendered, tmp_path / "staged")
    result = run_pytest(folder, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for check in (
        "test_discovery",
        "test_greedy_generation[causal-lm-pt]",
        "test_pipeline[text-generation]",
        "test_generation_fast_paths[causal-lm-pt]",
        "test_generation_follows_weight_updates[causal-lm-pt]",
        "test_layer_hook_honoured[causal-lm-pt]",
        "test_layer_patch_honoured[sequence-classification-pt]",
    ):
        assert f"PASSED {SUITE}{check}" in result.stdout, check
