"""No code from data and no network when offline.

A malicious `pytorch_model.bin` (a pickle whose reduce writes a marker file) never runs, with
or without `allow_pickle=True`; with `HF_HUB_OFFLINE=1` a socket guard sees zero connection
attempts while tfx loads a local folder, a cached Hub id and an uncached one (clear error)."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest
import torch
from tfx_fuzz import fixtures
from tfx_fuzz.guards import NetworkGuard

from tfx_core import AutoModelForMaskedLM, AutoTokenizer, pipeline
from tfx_core.errors import OfflineModeError, TfxError, UnsafeCheckpointError


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious_folder(tmp_path, style):
    folder = fixtures.copy_checkpoint("bert", tmp_path / "evil")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "EXECUTED"
    weights = folder / "pytorch_model.bin"
    state = {"bert.embeddings.word_embeddings.weight": torch.zeros(3), "x": _Payload(marker)}
    if style == "zip":
        torch.save(state, weights)
    else:
        weights.write_bytes(pickle.dumps(state, protocol=2))
    return folder, marker


@pytest.mark.parametrize("style", ["zip", "legacy"])
@pytest.mark.parametrize("allow_pickle", [False, True])
def test_malicious_pickle_never_runs(tmp_path, style, allow_pickle):
    folder, marker = _malicious_folder(tmp_path, style)
    with pytest.raises(TfxError) as excinfo:
        AutoModelForMaskedLM.from_pretrained(folder, allow_pickle=allow_pickle)
    assert not marker.exists()
    if not allow_pickle:
        assert isinstance(excinfo.value, UnsafeCheckpointError)
        assert "allow_pickle=True" in str(excinfo.value)


def _fake_cache(cache, repo_id):
    """A Hub cache entry for `repo_id` (refs/main -> a snapshot of the tiny BERT)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(fixtures.built_folder("bert"), repo / "snapshots" / commit)


def test_offline_loads_make_zero_connection_attempts(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    _fake_cache(cache, "fuzz-org/tiny-bert")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    local = fixtures.built_folder("bert")
    with NetworkGuard() as guard:
        AutoModelForMaskedLM.from_pretrained(local)
        AutoTokenizer.from_pretrained(local)
        pipeline("fill-mask", model=str(local))("the [MASK] runs")
        AutoModelForMaskedLM.from_pretrained("fuzz-org/tiny-bert")
        AutoTokenizer.from_pretrained("fuzz-org/tiny-bert")
        pipeline("fill-mask", model="fuzz-org/tiny-bert", local_files_only=True)
        with pytest.raises(OfflineModeError, match="not-cached"):
            AutoModelForMaskedLM.from_pretrained("fuzz-org/not-cached")
        with pytest.raises(TfxError, match="not-cached"):
            AutoTokenizer.from_pretrained("fuzz-org/not-cached")
    assert guard.attempts == []


def test_local_files_only_reaches_the_hub_layer(tmp_path, monkeypatch):
    """pipeline(local_files_only=True) behaves offline even when HF_HUB_OFFLINE is unset."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with NetworkGuard() as guard, pytest.raises(TfxError, match="not-cached"):
        pipeline("fill-mask", model="fuzz-org/not-cached", local_files_only=True)
    assert guard.attempts == []
