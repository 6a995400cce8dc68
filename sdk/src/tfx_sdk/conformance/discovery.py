"""Discovery checks, each in a fresh interpreter: a warm test process has torch imported already.

`tfx` must find the plugin through its entry point, load it without errors or conflicts, and do
so without importing a framework or the plugin's modeling code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tfx_sdk.conformance.failures import fail

_PROBE = Path(__file__).with_name("_probe.py")
_ENTRY_POINT_HINT = (
    "declare it in pyproject.toml as\n"
    '    [project.entry-points."tfx.plugins"]\n'
    '    <name> = "<package>.plugin"\n'
    "  and reinstall the package (pip install -e .) so the entry point is registered"
)


def run_probe(command: str, argument: str, timeout: float = 120.0) -> dict[str, Any]:
    source = _PROBE.read_text(encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-c", source, command, argument],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("TFX-PROBE "):
            return json.loads(line[len("TFX-PROBE ") :])
    raise fail(
        f"The discovery probe crashed (exit {completed.returncode}):\n{completed.stderr[-2000:]}",
        "make `python -c 'from tfx_core.plugins import get_registry; get_registry().plugins()'` "
        "run cleanly in this environment",
    )


def check_discovered(model_type: str) -> dict[str, Any]:
    """The plugin serving `model_type` is found, loads cleanly and has no rival."""
    found = run_probe("discover", model_type)
    if "error" in found:
        raise fail(f"Loading the plugin registry raised {found['error']}", "see the error")
    owners = found["owners"]
    if not owners:
        failed = [p for p in found["plugins"] if p["status"] == "failed"]
        detail = "".join(f"\n    {p['name']} ({p['distribution']}): {p['error']}" for p in failed)
        if failed:
            raise fail(
                f"No loaded plugin serves model_type {model_type!r}; these plugins failed to "
                f"load:{detail}",
                "fix the error shown for your plugin (its entry module must import cleanly and "
                "its hooks must return specs)",
            )
        raise fail(
            f"No installed plugin serves model_type {model_type!r}: no `tfx.plugins` entry point "
            "returns an ArchitectureSpec with that model_type",
            f"check ArchitectureSpec(model_type=...) in the entry module, and {_ENTRY_POINT_HINT}",
        )
    if found["claims"] > 1:
        names = ", ".join(f"{o['distribution'] or o['name']}" for o in owners)
        raise fail(
            f"model_type {model_type!r} is claimed by more than one installed plugin: {names}",
            "uninstall the other plugin, or give your architecture a model_type of its own",
        )
    return found


def check_lazy(entry_module: str) -> None:
    """Importing the entry module and calling its hooks imports no framework or modeling code."""
    found = run_probe("lazy", entry_module)
    if "error" in found:
        raise fail(
            f"Importing the entry module {entry_module!r} and calling its hooks raised "
            f"{found['error']}",
            "make the entry module import only tfx_core.plugins and return specs",
        )
    if found["heavy"]:
        raise fail(
            f"Importing the entry module {entry_module!r} (and calling its hooks) imported "
            f"{', '.join(found['heavy'])}; discovery must stay cheap for every `tfx` command",
            "import frameworks only in the modeling module and name classes in the specs as "
            "'module:Class' strings instead of importing them",
        )
    if found["spec_modules"]:
        raise fail(
            f"Importing the entry module {entry_module!r} imported the modules its specs name "
            f"lazily: {', '.join(found['spec_modules'])}",
            "do not import configuration, modeling or tokenization modules from the entry "
            "module; the registry imports them on first use",
        )
