"""One faulty plugin never takes the others down, and `tfx plugins` says what happened.

Each fault is a real entry module (written to a temp folder on sys.path) behind a real
`importlib.metadata.EntryPoint`, added to the installed ones: SystemExit at import, calling
get_registry() while being imported, an import that blocks, printing at import, a hook that
raises or exits, garbage or unhashable specs, and a plugin claiming another's model_type.
"""

from __future__ import annotations

import json
import sys
import textwrap
from importlib import metadata

import pytest

from tfx_core import cli
from tfx_core.errors import PluginConflictError
from tfx_core.plugins import get_registry, reset_registry
from tfx_core.plugins import registry as registry_module

GOOD = """
from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

@hookimpl
def tfx_architectures():
    return [ArchitectureSpec(model_type={model_type!r},
                             config_class="tfx_plugin_bert.configuration_bert:BertConfig",
                             heads=(HeadSpec("base", "BertModel",
                                             {{"pt": "tfx_plugin_bert.modeling_bert:BertModel"}}),))]
"""

FAULTS = {
    "fz_exit": "raise SystemExit(3)\n",
    "fz_reentrant": "from tfx_core.plugins import get_registry\nget_registry()\n",
    "fz_blocking": "import time\ntime.sleep(60)\n",
    "fz_prints": "print('hello from a chatty plugin')\n" + GOOD.format(model_type="fz-chatty"),
    "fz_hook_raises": (
        "from tfx_core.plugins import hookimpl\n"
        "@hookimpl\ndef tfx_architectures():\n    raise RuntimeError('boom in a hook')\n"
    ),
    "fz_hook_exits": (
        "from tfx_core.plugins import hookimpl\n"
        "@hookimpl\ndef tfx_tasks():\n    raise SystemExit('bye')\n"
    ),
    "fz_garbage": (
        "from tfx_core.plugins import hookimpl\n"
        "@hookimpl\ndef tfx_architectures():\n    return ['not a spec', 42]\n"
    ),
    "fz_not_a_list": (
        "from tfx_core.plugins import hookimpl\n@hookimpl\ndef tfx_tasks():\n    return 42\n"
    ),
    "fz_unhashable": (
        "from tfx_core.plugins import TokenizerConverterSpec, hookimpl\n"
        "@hookimpl\ndef tfx_tokenizer_converters():\n"
        "    return [TokenizerConverterSpec(name=['x'], converter='os:getcwd', files=('v',))]\n"
    ),
    "fz_thief": GOOD.format(model_type="gpt2"),
}


@pytest.fixture
def faulty_plugins(tmp_path, monkeypatch):
    for name, source in FAULTS.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    installed = list(metadata.entry_points(group=registry_module.ENTRY_POINT_GROUP))
    fakes = [metadata.EntryPoint(name, name, registry_module.ENTRY_POINT_GROUP) for name in FAULTS]
    monkeypatch.setattr(
        registry_module.metadata,
        "entry_points",
        lambda group=None: [*installed, *fakes] if group else [],
    )
    monkeypatch.setenv("TFX_PLUGIN_IMPORT_TIMEOUT", "1")
    reset_registry()
    yield
    reset_registry()
    for name in FAULTS:
        sys.modules.pop(name, None)


def _statuses():
    return {info.name: info for info in get_registry().plugins()}


def test_each_fault_fails_only_its_plugin(faulty_plugins):
    infos = _statuses()
    expected_failed = {
        "fz_exit": "SystemExit",
        "fz_reentrant": "get_registry",
        "fz_blocking": "did not finish within 1 s",
        "fz_hook_raises": "boom in a hook",
        "fz_hook_exits": "SystemExit",
        "fz_garbage": "expected ArchitectureSpec",
        "fz_not_a_list": "not a list",
        "fz_unhashable": "names must be non-empty strings",
    }
    for name, reason in expected_failed.items():
        assert infos[name].status == "failed", name
        assert reason in infos[name].error, (name, infos[name].error)
    assert infos["fz_prints"].status == "loaded"
    assert infos["fz_thief"].status == "loaded"
    registry = get_registry()
    # every other plugin keeps working
    assert registry.architecture("bert").model_type == "bert"
    assert registry.architecture("fz-chatty").model_type == "fz-chatty"
    assert registry.task("fill-mask").name == "fill-mask"
    # the stolen model type is a conflict that names both owners and the way out
    with pytest.raises(PluginConflictError, match="TFX_PREFER") as excinfo:
        registry.architecture("gpt2")
    assert "fz_thief" in str(excinfo.value) and "tfx-plugin-gpt2" in str(excinfo.value)


def test_plugins_json_stays_parseable(faulty_plugins, capsys):
    assert cli.main(["plugins", "--json"]) == 0
    captured = capsys.readouterr()
    listed = {item["name"]: item for item in json.loads(captured.out)}
    assert listed["fz_exit"]["status"] == "failed"
    assert listed["fz_prints"]["status"] == "loaded"
    assert "hello from a chatty plugin" in captured.err
    assert cli.main(["plugins", "--strict"]) == 1
