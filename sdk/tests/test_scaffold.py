"""`tfx-sdk new`: names are validated, templates render into a complete, importable package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tfx_core.errors import TfxError
from tfx_sdk.errors import ScaffoldError
from tfx_sdk.names import PluginNames, validate_name
from tfx_sdk.scaffold import ALIASES, new_plugin, templates_root


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("My Arch", "is not a valid plugin name"),
        ("MyArch", "is not a valid plugin name"),
        ("1arch", "is not a valid plugin name"),
        ("my--arch", "is not a valid plugin name"),
        ("my-arch-", "is not a valid plugin name"),
        ("", "needs a name"),
        ("x" * 41, "longer than 40"),
        ("class", "Python keyword"),
        ("tfx-plugin-foo", "Drop the prefix: pass 'foo'"),
    ],
)
def test_bad_names_say_how_to_fix(name: str, says: str) -> None:
    with pytest.raises(ScaffoldError, match=says) as info:
        validate_name(name)
    assert isinstance(info.value, TfxError) and isinstance(info.value, ValueError)
    if "valid plugin name" in says:
        assert "e.g. 'my-arch'" in str(info.value)


def test_derived_names() -> None:
    names = PluginNames.derive("my-arch")
    assert names.package == "tfx_plugin_my_arch"
    assert names.distribution == "tfx-plugin-my-arch"
    assert names.module == "my_arch" and names.class_prefix == "MyArch"
    assert names.model_type == "my-arch" and names.entry_point == "my-arch"
    assert PluginNames.derive("distilbert", class_prefix="DistilBert").class_prefix == "DistilBert"
    with pytest.raises(ScaffoldError, match="CamelCase"):
        PluginNames.derive("x", class_prefix="lower")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("bert", "distribution tfx-plugin-bert"),  # an installed plugin package
        ("tfx-toy", "model_type 'tfx-toy' is already served by the installed plugin"),
    ],
)
def test_taken_names_are_refused(name: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=says):
        new_plugin(name, dest=tmp_path)
    assert not any(tmp_path.iterdir())


def test_existing_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "my-arch").mkdir()
    (tmp_path / "my-arch" / "keep.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists and is not empty"):
        new_plugin("my-arch", dest=tmp_path)
    assert (tmp_path / "my-arch" / "keep.txt").read_text() == "mine"


def test_unknown_like(tmp_path: Path) -> None:
    with pytest.raises(
        ScaffoldError,
        match=r"seq2seq \(bart\), vision \(vit\), speech \(wav2vec2\)",
    ):
        new_plugin("my-arch", like="t5", dest=tmp_path)
    assert not any(tmp_path.iterdir())


def test_model_family_names_are_aliases_of_the_templates(tmp_path: Path) -> None:
    assert templates_root().joinpath("encoder").is_dir()
    assert templates_root().joinpath("decoder").is_dir()
    for alias, template in ALIASES.items():
        by_alias = new_plugin("my-arch", like=alias, dest=tmp_path / alias)
        by_name = new_plugin("my-arch", like=template, dest=tmp_path / template)
        for path in by_name.rglob("*.py"):
            twin = by_alias / path.relative_to(by_name)
            assert twin.read_text() == path.read_text(), path


@pytest.mark.parametrize(
    ("like", "built_on"),
    [
        (
            "encoder",
            ["class MyArchLayer(blocks.EncoderLayer)", "class MyArchModel(blocks.EncoderModel, "],
        ),
        ("decoder", ["class MyArchBlock(DecoderLayer)", "class MyArchModel(DecoderModel, "]),
        (
            "seq2seq",
            [
                "class MyArchDecoderLayer(Seq2SeqDecoderLayer)",
                "class MyArchModel(Seq2SeqModel, ",
                "    ConditionalGenerationHead, GenerationMixin, MyArchPreTrainedModel",
            ],
        ),
        (
            "speech",
            [
                "class MyArchEncoderLayer(PreNormEncoderLayer)",
                "class MyArchModel(SpeechModel, ",
                "class MyArchForCTC(CTCHead, ",
            ],
        ),
        (
            "vision",
            [
                "class MyArchLayer(PreNormEncoderLayer)",
                "class MyArchModel(VisionTransformerModel, ",
                "class MyArchForImageClassification(ImageClassificationHead, ",
            ],
        ),
    ],
)
def test_renders_a_complete_package(like: str, built_on: list[str], tmp_path: Path) -> None:
    folder = new_plugin("my-arch", like=like, dest=tmp_path)
    package = folder / "src" / "tfx_plugin_my_arch"
    expected = {
        "pyproject.toml",
        "README.md",
        "tests/test_conformance.py",
        "src/tfx_plugin_my_arch/__init__.py",
        "src/tfx_plugin_my_arch/plugin.py",
        "src/tfx_plugin_my_arch/configuration_my_arch.py",
        "src/tfx_plugin_my_arch/modeling_my_arch.py",
    }
    if like in ("vision", "speech"):
        expected.add("src/tfx_plugin_my_arch/processing_my_arch.py")
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} == expected
    pyproject = (folder / "pyproject.toml").read_text()
    assert 'name = "tfx-plugin-my-arch"' in pyproject
    extras = {"vision": "torch,vision", "speech": "torch,audio"}.get(like, "torch")
    assert f'dependencies = ["tfx-core[{extras}]"]' in pyproject
    assert (
        '[project.entry-points."tfx.plugins"]\nmy-arch = "tfx_plugin_my_arch.plugin"' in pyproject
    )
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "{{" not in text and "{%" not in text, path
            if path.suffix == ".py":
                ast.parse(text, filename=str(path))
    assert (
        'model_type: ClassVar[str] = "my-arch"'
        in (package / "configuration_my_arch.py").read_text()
    )
    modeling = (package / "modeling_my_arch.py").read_text()
    # small and built on the core blocks: the layer math is imported, not copied
    assert all(line in modeling for line in built_on)
    assert len(modeling.splitlines()) <= 200


def test_entry_module_imports_nothing_heavy(tmp_path: Path) -> None:
    folder = new_plugin("my-arch", dest=tmp_path)
    code = (
        "import sys; import tfx_plugin_my_arch.plugin as p; specs = p.tfx_architectures(); "
        "print(sorted(m for m in ('torch', 'tfx_plugin_my_arch.modeling_my_arch') if m in sys.modules))"
    )
    env_path = str(folder / "src")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": ""},
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_failed_render_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "templates"
    (broken / "common").mkdir(parents=True)
    (broken / "encoder").mkdir()
    (broken / "common" / "ok.txt.tmpl").write_text("{{ name }}\n")
    (broken / "encoder" / "bad.py.tmpl").write_text("{{ no_such_variable }}\n")
    monkeypatch.setenv("TFX_SDK_TEMPLATES", str(broken))
    assert templates_root() == broken
    with pytest.raises(ScaffoldError, match="no_such_variable"):
        new_plugin("my-arch", dest=tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_cli_new_and_errors(tmp_path: Path) -> None:
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "tfx_sdk.cli",
            "new",
            "cli-arch",
            "--like",
            "gpt2",
            "--dest",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "cli-arch" / "src" / "tfx_plugin_cli_arch" / "modeling_cli_arch.py").exists()
    assert "pip install -e" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "tfx_sdk.cli", "new", "Bad Name", "--dest", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: 'Bad Name' is not a valid plugin name")
    assert "Traceback" not in bad.stderr
