"""`tfx-sdk check`: the coverage table, and clear errors for folders it cannot check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfx_sdk.check import check, coverage, format_report
from tfx_sdk.errors import CheckError


def result(
    check: str,
    outcome: str,
    head: str | None = None,
    framework: str | None = None,
    message: str = "",
) -> dict:
    return {
        "check": check,
        "model_type": "tfx-toy",  # served by the tfx-test-toy fixture plugin: base + seq-cls, pt
        "head": head,
        "framework": framework,
        "dtype": None,
        "task": None,
        "outcome": outcome,
        "message": message,
    }


def test_coverage_cells() -> None:
    results = [
        result("test_discovery", "passed"),
        result("test_forward", "passed", "base", "pt"),
        result("test_save_load", "skipped", "base", "pt", "the base head is the base checkpoint"),
        result(
            "test_forward", "failed", "sequence-classification", "pt", "shape is wrong\n  Fix: x"
        ),
        result("test_forward", "skipped", "sequence-classification", "tf", "not provided: no tf"),
    ]
    table = coverage(results)["tfx-toy"]
    assert table["base"] == {"pt": "pass", "tf": "not provided", "flax": "not provided"}
    assert table["sequence-classification"]["pt"] == "fail"
    assert table["sequence-classification"]["tf"] == "not provided"
    text = format_report(results)
    assert "Conformance coverage: model_type 'tfx-toy'" in text
    assert "plugin checks (discovery, config, tokenizer, tasks): 1 passed" in text
    assert "FAIL test_forward[sequence-classification-pt]: shape is wrong" in text


def test_untested_framework_that_the_spec_provides_is_not_a_pass() -> None:
    table = coverage([result("test_forward", "skipped", "base", "pt", "kit drives pt only")])
    assert table["tfx-toy"]["base"]["pt"] == "skipped"
    assert table["tfx-toy"]["sequence-classification"]["pt"] == "not tested"


def test_check_refuses_a_folder_without_pyproject(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"has no pyproject\.toml"):
        check(tmp_path)


def test_check_refuses_an_uninstalled_package(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tfx-plugin-not-installed"\n')
    with pytest.raises(CheckError, match=r"not installed.*pip install -e"):
        check(tmp_path)
