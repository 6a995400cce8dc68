"""Plugin discovery against the real fixture distributions installed from tests/plugins/."""

import json
import subprocess
import sys

import pytest

from tfx_core.errors import (
    HeadNotSupportedError,
    ModelTypeNotFoundError,
    PipelineError,
    PluginConflictError,
    PluginError,
)
from tfx_core.plugins import (
    ArchitectureSpec,
    HeadSpec,
    PluginRegistry,
    TaskSpec,
    TokenizerConverterSpec,
    get_registry,
    hookimpl,
)


def _info(registry, name):
    return next(info for info in registry.plugins() if info.name == name)


def test_installed_plugin_is_discovered_through_its_entry_point(fresh_registry):
    registry = get_registry()
    info = _info(registry, "tfx-test-toy")
    assert info.status == "loaded"
    assert info.distribution == "tfx-test-toy"
    assert "tfx-toy" in info.model_types
    spec = registry.architecture("tfx-toy")
    assert spec.head("base").hf_architecture == "ToyModel"
    assert registry.task("toy-echo").pipeline_class == "tfx_test_toy.pipeline:EchoPipeline"


def test_broken_plugin_is_reported_and_others_still_work(fresh_registry):
    registry = get_registry()
    broken = _info(registry, "tfx-test-broken")
    assert broken.status == "failed"
    assert "not-a-real-dependency" in broken.error
    assert registry.architecture("tfx-toy").model_type == "tfx-toy"


def test_duplicate_model_type_names_both_distributions(fresh_registry):
    with pytest.raises(PluginConflictError) as excinfo:
        get_registry().architecture("tfx-shared")
    message = str(excinfo.value)
    assert "tfx-test-toy" in message and "tfx-test-toyfork" in message
    assert "TFX_PREFER" in message


def test_conflict_settled_explicitly(fresh_registry, monkeypatch):
    registry = get_registry()
    registry.prefer("tfx-shared", "tfx-test-toyfork")
    assert registry.architecture("tfx-shared").config_class.startswith("tfx_test_toyfork")
    from tfx_core.plugins import reset_registry

    reset_registry()
    monkeypatch.setenv("TFX_PREFER", "tfx-shared=tfx-test-toy")
    assert get_registry().architecture("tfx-shared").config_class.startswith("tfx_test_toy.")


def test_allow_list_disables_other_plugins(fresh_registry, monkeypatch):
    monkeypatch.setenv("TFX_PLUGINS", "tfx-test-toyfork")
    registry = get_registry()
    assert _info(registry, "tfx-test-toy").status == "disabled"
    assert _info(registry, "tfx-test-broken").status == "disabled"
    # With the toy plugin disabled there is no conflict any more.
    assert registry.architecture("tfx-shared").config_class.startswith("tfx_test_toyfork")
    with pytest.raises(ModelTypeNotFoundError, match="Disabled by TFX_PLUGINS"):
        registry.architecture("tfx-toy")


def test_disable_autoload_and_programmatic_registration(fresh_registry, monkeypatch):
    monkeypatch.setenv("TFX_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = get_registry()
    assert [i.name for i in registry.plugins()] == ["tfx-core-builtin"]

    class NotebookPlugin:
        @hookimpl
        def tfx_architectures(self):
            return [ArchitectureSpec("notebook-arch", "tfx_test_toy.configuration:ToyConfig")]

    registry.register(NotebookPlugin(), name="notebook")
    assert registry.architecture("notebook-arch").model_type == "notebook-arch"
    assert _info(registry, "notebook").status == "registered"
    with pytest.raises(PluginError, match="already registered"):
        registry.register(NotebookPlugin(), name="notebook")
    registry.unregister("notebook")
    with pytest.raises(ModelTypeNotFoundError):
        registry.architecture("notebook-arch")


def test_registered_override_wins_a_conflict(fresh_registry):
    class Override:
        @hookimpl
        def tfx_architectures(self):
            return [ArchitectureSpec("tfx-toy", "tfx_test_toy.configuration:SharedConfig")]

    registry = get_registry()
    registry.register(Override(), name="override", override=True)
    assert registry.architecture("tfx-toy").config_class.endswith(":SharedConfig")


def test_hook_that_raises_or_returns_garbage_is_contained():
    registry = PluginRegistry(autoload=False)

    class Raising:
        @hookimpl
        def tfx_architectures(self):
            raise RuntimeError("boom")

    class Garbage:
        @hookimpl
        def tfx_tasks(self):
            return ["not a spec"]

    class Good:
        @hookimpl
        def tfx_architectures(self):
            return [ArchitectureSpec("good", "tfx_test_toy.configuration:ToyConfig")]

    for name, plugin in (("raising", Raising()), ("garbage", Garbage()), ("good", Good())):
        registry.register(plugin, name=name)
    infos = {info.name: info for info in registry.plugins()}
    assert infos["raising"].status == "failed" and "boom" in infos["raising"].error
    assert infos["garbage"].status == "failed" and "TaskSpec" in infos["garbage"].error
    assert registry.architecture("good").model_type == "good"


def test_unknown_model_type_names_the_package_to_install(fresh_registry):
    with pytest.raises(ModelTypeNotFoundError) as excinfo:
        get_registry().architecture("mamba_x")
    assert "pip install tfx-plugin-mamba-x" in str(excinfo.value)
    # The broken plugin is mentioned: it might have been the one serving this type.
    assert "tfx-test-broken" in str(excinfo.value)


def test_unknown_task_lists_known_tasks(fresh_registry):
    with pytest.raises(PipelineError) as excinfo:
        get_registry().task("no-such-task")
    assert "toy-echo" in str(excinfo.value)


def test_spec_validation_and_lazy_loading():
    with pytest.raises(PluginError, match=r"package\.module:Attribute"):
        HeadSpec("base", "X", {"pt": "no_colon_here"})
    with pytest.raises(PluginError, match="unknown framework"):
        HeadSpec("base", "X", {"torch": "a:B"})
    with pytest.raises(PluginError, match="twice"):
        ArchitectureSpec("x", "a:B", heads=(HeadSpec("base", "X"), HeadSpec("base", "Y")))
    spec = ArchitectureSpec(
        "x", "tfx_test_toy.configuration:ToyConfig", heads=(HeadSpec("base", "X", {"pt": "a:B"}),)
    )
    with pytest.raises(HeadNotSupportedError, match="provides: base"):
        spec.head("masked-lm")
    with pytest.raises(HeadNotSupportedError, match="available frameworks: pt"):
        spec.head("base").load("tf")
    with pytest.raises(PluginError, match="Could not import module 'a'"):
        spec.head("base").load("pt")
    assert spec.load_config_class().__name__ == "ToyConfig"
    assert TaskSpec("t", "m:C", heads=["base"]).heads == ("base",)
    with pytest.raises(PluginError, match="input files"):
        TokenizerConverterSpec("c", "m:f", files=())


def test_discovery_imports_no_framework_and_no_modeling_code():
    code = (
        "import sys, json\n"
        "from tfx_core.plugins import get_registry\n"
        "r = get_registry(); r.architectures(); r.tasks(); r.tokenizer_converters()\n"
        "bad = [m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules]\n"
        "modeling = [m for m in sys.modules if 'modeling' in m and m.startswith('tfx_plugin')]\n"
        "print(json.dumps({'frameworks': bad, 'modeling': modeling}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"frameworks": [], "modeling": []}
