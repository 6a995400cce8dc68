"""Plugins that break the contract make the kit fail with a message that says what to fix.

Each fixture under `fixtures/` breaks one rule; the kit runs on it in a child pytest, exactly as
the plugin's own CI would, and the assertions read its report.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SUITE = "tests/test_conformance.py::TestConformance::"


def outcome(output: str, test: str) -> str | None:
    for line in output.splitlines():
        for state in ("PASSED", "FAILED", "SKIPPED", "ERROR"):
            if line.startswith(f"{state} {SUITE}{test}"):
                return state
    return None


def test_wrong_model_type_in_config(fixture_runs) -> None:
    _, _, result = fixture_runs("kit-wrong-model-type")
    out = result.stdout
    assert result.returncode == 1, out
    assert outcome(out, "test_config_class") == "FAILED"
    assert (
        "config_class WrongTypeConfig.model_type is 'kit-wrong' but the spec says "
        "'kit-wrong-model-type'" in out
    )
    assert "Fix: set model_type = 'kit-wrong-model-type' on WrongTypeConfig" in out
    assert outcome(out, "test_discovery") == "PASSED"  # only the broken rule fails


def test_head_that_fails_to_import(fixture_runs) -> None:
    _, _, result = fixture_runs("kit-bad-head")
    out = result.stdout
    assert outcome(out, "test_head_resolves[sequence-classification-pt]") == "FAILED"
    assert (
        "Head 'sequence-classification' (pt) names "
        "'kit_bad_head.modeling_heads:BadHeadForSequenceClassification', which cannot be imported"
        in out
    )
    assert "No module named 'tfx_kit_fixture_missing_dependency'" in out
    assert "declare missing dependencies in pyproject.toml" in out
    # the failure is contained to that head
    assert outcome(out, "test_head_resolves[base-pt]") == "PASSED"
    assert outcome(out, "test_forward[base-pt]") == "PASSED"
    assert outcome(out, "test_forward[sequence-classification-pt]") == "FAILED"


def test_missing_keys_on_save(fixture_runs) -> None:
    _, _, result = fixture_runs("kit-missing-keys")
    out = result.stdout
    assert outcome(out, "test_save_load[sequence-classification-pt]") == "FAILED"
    assert (
        "MissingKeysForSequenceClassification.save_pretrained left out keys the model has: "
        "classifier.bias" in out
    )
    assert "Fix: save every parameter and persistent buffer" in out
    assert outcome(out, "test_save_load[base-pt]") == "PASSED"
    assert outcome(out, "test_forward[sequence-classification-pt]") == "PASSED"


def test_entry_module_that_imports_a_framework(fixture_runs) -> None:
    _, _, result = fixture_runs("kit-eager-import")
    out = result.stdout
    assert outcome(out, "test_discovery") == "FAILED"
    assert "Importing the entry module 'kit_eager_import.plugin'" in out
    assert "imported torch" in out
    assert "Fix: import frameworks only in the modeling module" in out
    assert outcome(out, "test_forward[base-pt]") == "PASSED"


def test_failures_show_no_kit_traceback(fixture_runs) -> None:
    """Contract failures print their message, not a stack of the kit's internals."""
    _, _, result = fixture_runs("kit-missing-keys")
    failures = result.stdout.split("= FAILURES =", 1)[1].split("short test summary", 1)[0]
    assert "left out keys the model has" in failures
    assert "checks_model.py" not in failures and "Traceback" not in failures


def test_check_prints_coverage_table(fixture_runs) -> None:
    folder, env, _ = fixture_runs("kit-missing-keys")
    result = subprocess.run(
        [sys.executable, "-m", "tfx_sdk.cli", "check", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    table = result.stdout.split("Conformance coverage: model_type 'kit-missing-keys'", 1)[1]
    rows = {line.split()[0]: line for line in table.splitlines()[1:4]}
    assert rows["base"].split()[1:] == ["pass", "not", "provided", "not", "provided"]
    assert rows["sequence-classification"].split()[1] == "fail"
    assert "FAIL test_save_load[sequence-classification-pt]" in table
    assert "left out keys the model has: classifier.bias" in table
