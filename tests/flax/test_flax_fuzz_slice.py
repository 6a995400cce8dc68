"""The fuzz campaign's broken safetensors files, loaded by tfx's Flax models: fixed seeds;
each must load and run (finite logits) or raise a typed tfx error, never a raw exception, a
silent partial load, a hang or an unsafe outcome. `make fuzz` runs many more seeds."""

from __future__ import annotations

import sys
from pathlib import Path

FUZZ = str(Path(__file__).resolve().parent.parent / "fuzz")
if FUZZ not in sys.path:
    sys.path.insert(0, FUZZ)

from tfx_fuzz.harness import FAILURES  # noqa: E402
from tfx_fuzz.runner import run_inline  # noqa: E402

SEEDS = range(8)


def test_broken_checkpoints_fail_cleanly(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results = run_inline("safetensors-flax", SEEDS)
    assert len(results) == len(SEEDS)
    failures = [r for r in results if r.outcome in (*FAILURES, "partial")]
    assert not failures, "\n\n".join(
        f"[seed {r.seed}] {r.label}\n  -> {r.outcome}: {r.detail[:1500]}" for r in failures
    )
    assert {"typed", "ok"} <= {r.outcome for r in results}
