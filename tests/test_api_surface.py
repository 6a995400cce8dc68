"""The API-surface report (tools/api_surface.py): tfx keeps the reference's public names.

Coverage per section may only go up: each floor below is what tfx had when it was set (raise it
when a gap closes). The tokenizer sections are complete: every reference name is there or is
listed in `OMITTED` with the reason.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent

#: section -> the lowest coverage accepted
FLOORS = {
    "tokenizer": 1.0,  # present or omitted with a reason: see test_tokenizer_sections_are_complete
    "tokenizer-classes": 1.0,
    "config": 0.98,
    "generation-config": 1.0,
    "pretrained-model": 0.94,
    "model-output": 1.0,
    "generate-kwargs": 0.91,
    "logits-processors": 1.0,
    "stopping-criteria": 1.0,
    "pipeline-classes": 0.75,
    "pipeline-kwargs": 1.0,
}
#: present / all listed names, every section together (omissions count against it)
OVERALL_FLOOR = 0.95


def _report():
    spec = importlib.util.spec_from_file_location(
        "tfx_api_surface", ROOT / "tools" / "api_surface.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    module = _report()
    return module, {section.name: section for section in module.collect()}


def test_every_section_is_measured(report):
    _, sections = report
    assert set(sections) == set(FLOORS)
    for section in sections.values():
        assert section.total > 0, section.name


def test_coverage_does_not_drop(report):
    _, sections = report
    for name, floor in FLOORS.items():
        section = sections[name]
        if name == "tokenizer":
            coverage = (len(section.present) + len(section.omitted)) / section.total
        else:
            coverage = section.coverage
        assert coverage >= floor, f"{name}: {coverage:.1%} < {floor:.0%}; missing {section.missing}"


def test_overall_coverage_does_not_drop(report):
    _, sections = report
    present = sum(len(section.present) for section in sections.values())
    total = sum(section.total for section in sections.values())
    assert present / total >= OVERALL_FLOOR, f"{present}/{total} < {OVERALL_FLOOR:.0%}"


def test_deprecation_is_read_from_the_name_itself(report):
    """A method that deprecates one of its arguments is still listed; a deprecated one is not."""
    module, _ = report

    def keeps_a_deprecated_argument(device=None):
        """Does something."""
        if device is not None:
            raise ValueError("The `device` argument is deprecated.")

    def old_helper():
        """Old."""
        raise ValueError("`old_helper` is deprecated, use `new_helper`.")

    assert not module._is_deprecated(keeps_a_deprecated_argument, "keeps_a_deprecated_argument")
    assert module._is_deprecated(old_helper, "old_helper")


def test_tokenizer_sections_are_complete(report):
    _, sections = report
    assert sections["tokenizer"].missing == []
    assert sections["tokenizer-classes"].missing == []
    assert sections["tokenizer"].coverage >= 0.85  # the rest omitted, with reasons


def test_omissions_name_reference_names(report):
    """A stale omission (the name left the reference, or tfx gained it) must be removed."""
    module, sections = report
    for name, omitted in module.OMITTED.items():
        assert set(omitted) == set(sections[name].omitted), name


def test_report_renders(report):
    module, sections = report
    text = module.render(list(sections.values()), missing=True)
    assert text.splitlines()[0].split()[:2] == ["section", "present"]
    assert "omitted  tokenizer.slow_tokenizer_class" in text
