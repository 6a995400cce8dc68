"""The kit's pytest plugin (`pytest11` entry point `tfx-conformance`).

It tags every `ConformanceSuite` test with its check, head, framework, dtype and task, and with
`--tfx-report=PATH` writes each test's outcome as JSON; `tfx-sdk check` builds its coverage table
from that file. Loaded in every pytest run of the environment, so it imports nothing heavy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

_RESULTS = pytest.StashKey[dict]()
_AXES = ("head", "framework", "dtype", "task")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tfx-conformance", "tfx conformance kit")
    group.addoption(
        "--tfx-report",
        default=None,
        metavar="PATH",
        help="write the conformance results (check, head, framework, outcome) as JSON to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = {}


def _is_conformance(item: pytest.Item) -> bool:
    cls = getattr(item, "cls", None)
    if cls is None or getattr(cls, "tester", None) is None:
        return False
    from tfx_sdk.conformance.suite import ConformanceSuite

    return issubclass(cls, ConformanceSuite)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not _is_conformance(item):
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        tags = {axis: params.get(axis) for axis in _AXES}
        tags["check"] = getattr(item, "originalname", item.name)
        tags["model_type"] = item.cls.tester.model_type  # type: ignore[union-attr]
        item.user_properties.append(("tfx", tags))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tags = dict(report.user_properties).get("tfx")
    if tags is None:
        return
    results = _results(report)
    if results is None:
        return
    entry = results.setdefault(report.nodeid, {**tags, "outcome": "passed", "message": ""})
    if report.failed:
        entry["outcome"] = "failed"
        entry["message"] = _message(report)
    elif report.skipped and entry["outcome"] != "failed":
        entry["outcome"] = "skipped"
        entry["message"] = _message(report)


_CONFIG: list[pytest.Config] = []


def _results(report: pytest.TestReport) -> dict | None:
    return _CONFIG[-1].stash[_RESULTS] if _CONFIG else None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG.append(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _CONFIG and _CONFIG[-1] is session.config:
        _CONFIG.pop()
    path = session.config.getoption("--tfx-report")
    if not path:
        return
    results = list(session.config.stash[_RESULTS].values())
    Path(path).write_text(json.dumps({"results": results}, indent=2), encoding="utf-8")


def _message(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (file, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)[-2000:] if longrepr is not None else ""


@pytest.fixture
def check_parity(tmp_path: Path) -> Any:
    """`check_parity(ours_class, reference_class, config, inputs, outputs=("logits",), atol=1e-5)`:
    parity with the reference both ways through files (see `tfx_sdk.conformance.parity`)."""
    from functools import partial

    from tfx_sdk.conformance.parity import check_parity as check

    return partial(check, folder=tmp_path)
