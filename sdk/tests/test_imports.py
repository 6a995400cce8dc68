"""The kit is a pytest plugin loaded in every pytest run: importing it must stay cheap."""

import subprocess
import sys


def test_sdk_and_kit_import_no_framework() -> None:
    code = (
        "import sys, tfx_sdk, tfx_sdk.cli, tfx_sdk.conformance, tfx_sdk.conformance.pytest_plugin, "
        "tfx_sdk.conformance.suite, tfx_sdk.scaffold, tfx_sdk.check; "
        "from tfx_sdk.conformance import ConformanceSuite, PluginTester; "
        "print(sorted(m for m in ('torch', 'transformers', 'tensorflow', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_kit_is_registered_as_a_pytest_plugin() -> None:
    from importlib import metadata

    entry_points = metadata.entry_points(group="pytest11")
    assert any(ep.value == "tfx_sdk.conformance.pytest_plugin" for ep in entry_points)
