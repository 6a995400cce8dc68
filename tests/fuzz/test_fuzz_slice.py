"""The fast, deterministic slice of the fuzz campaign: fixed seeds of every corpus, run in this
process. Every case must load/run correctly or raise a typed tfx error; a raw exception, a hang
or an unsafe outcome fails the test with the case's seed, label and traceback. `make fuzz` runs
the same generators over thousands of seeds (tests/fuzz/run.py)."""

from __future__ import annotations

import pytest
from tfx_fuzz.harness import FAILURES
from tfx_fuzz.runner import CORPORA, run_inline

SEEDS_PER_CORPUS = 40
#: loaded by TensorFlow / Flax: their slices run in tests/tf and tests/flax (own processes)
FRAMEWORK_CORPORA = {"safetensors-tf", "safetensors-flax"}


def _report(results) -> str:
    return "\n\n".join(
        f"[{r.corpus} seed {r.seed}] {r.label}\n  -> {r.outcome}: {r.detail[:1500]}"
        for r in results
    )


@pytest.mark.parametrize("corpus", sorted(set(CORPORA) - FRAMEWORK_CORPORA))
def test_corpus_slice_has_no_failures(corpus, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results = run_inline(corpus, range(SEEDS_PER_CORPUS))
    assert len(results) == SEEDS_PER_CORPUS
    failures = [r for r in results if r.outcome in FAILURES]
    assert not failures, _report(failures)
    # the slice exercises both sides of the contract
    outcomes = {r.outcome for r in results}
    assert "typed" in outcomes


def test_partial_load_is_not_silent(monkeypatch, tmp_path):
    """A checkpoint with a flipped key loads with the tensor re-initialised: like the reference,
    tfx warns (naming what did not load) besides filling `model.load_report`."""
    from tfx_fuzz.harness import run_case
    from tfx_fuzz.runner import make_case

    partial = [make_case("safetensors", seed) for seed in (64, 65, 81)]
    outcomes = [run_case(case).outcome for case in partial]
    assert set(outcomes) <= {"ok", "typed"}
