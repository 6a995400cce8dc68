"""The `tfx` command."""

import json
import subprocess
import sys


def _tfx(*args):
    return subprocess.run(
        [sys.executable, "-m", "tfx_core.cli", *args], capture_output=True, text=True
    )


def test_tfx_plugins_lists_loaded_and_failed_with_reasons():
    out = _tfx("plugins")
    assert out.returncode == 0, out.stderr
    assert "tfx-test-toy  [loaded]" in out.stdout
    assert "tfx-test-broken  [failed]" in out.stdout
    assert "not-a-real-dependency" in out.stdout
    data = json.loads(_tfx("plugins", "--json").stdout)
    by_name = {item["name"]: item for item in data}
    assert by_name["tfx-test-toy"]["distribution"] == "tfx-test-toy"
    assert by_name["tfx-test-broken"]["status"] == "failed"
    assert _tfx("plugins", "--strict").returncode == 1


def test_tfx_env_reports_versions():
    data = json.loads(_tfx("env", "--json").stdout)
    assert data["tfx-core"]
    assert data["python"].count(".") == 2
    assert "torch" in data["frameworks"]
    assert data["plugins"]["tfx-test-toy"] == "0.0.1"
