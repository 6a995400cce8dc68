"""scripts/offline_site.py: dist-info folders that expose every package's entry points."""

import importlib.metadata
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("offline_site", ROOT / "scripts/offline_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dist_info_exposes_the_entry_points(tmp_path):
    offline_site = _module()
    sources = offline_site.write_site(tmp_path)
    assert ROOT / "core" / "src" in sources and ROOT / "sdk" / "src" in sources
    assert len(sources) == len(list(ROOT.glob("plugins/*/pyproject.toml"))) + 2
    found = {d.metadata["Name"]: d for d in importlib.metadata.distributions(path=[str(tmp_path)])}
    assert len(found) == len(sources)
    plugin = {e.name: e.value for e in found["tfx-plugin-gpt2"].entry_points}
    assert plugin == {"gpt2": "tfx_plugin_gpt2.plugin"}
    sdk = [e for e in found["tfx-sdk"].entry_points if e.group == "pytest11"]
    assert [e.value for e in sdk] == ["tfx_sdk.conformance.pytest_plugin"]
    assert found["tfx-core"].read_text("top_level.txt") == "tfx_core\n"
    offline_site.write_site(tmp_path)  # again: the old folders are replaced, not duplicated
    assert len(list(tmp_path.glob("*.dist-info"))) == len(sources)


def test_line_parser_reads_what_tomllib_reads():
    """Python 3.10 has no tomllib: the fallback parser must agree on every pyproject."""
    offline_site = _module()
    for folder in offline_site.packages():
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
        assert offline_site._parse_lines(text) == offline_site._parse(text), folder
