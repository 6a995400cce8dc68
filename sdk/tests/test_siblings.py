"""`sibling_module` loads a plugin's other test file by path, once per process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfx_sdk.conformance import sibling_module


def test_loads_a_sibling_once_and_refuses_a_missing_one(tmp_path: Path) -> None:
    (tmp_path / "test_sizes.py").write_text(
        "from dataclasses import dataclass\n\n"
        "@dataclass\nclass Sizes:\n    hidden: int = 8\n\n"
        "TINY = {'hidden_size': Sizes().hidden}\nLOADS = []\nLOADS.append(1)\n"
    )
    here = tmp_path / "test_conformance.py"
    first = sibling_module(here, "test_sizes.py")
    assert first.TINY == {"hidden_size": 8}  # a dataclass resolves its module by name
    assert sibling_module(here, "test_sizes.py") is first and first.LOADS == [1]
    with pytest.raises(FileNotFoundError, match=r"test_missing\.py does not exist"):
        sibling_module(here, "test_missing.py")


def test_a_failing_sibling_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text("raise RuntimeError('broken on import')\n")
    for _ in range(2):  # raised again on the second load: no half-loaded module was kept
        with pytest.raises(RuntimeError, match="broken on import"):
            sibling_module(tmp_path / "test_x.py", "test_broken.py")
