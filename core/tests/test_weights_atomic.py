"""Atomic folder saves: the previous checkpoint survives any failure, stale shards never do."""

import os

import numpy as np
import pytest

import tfx_core.weights.writer as writer
from tfx_core.errors import WeightsError
from tfx_core.weights import atomic_directory, open_checkpoint, save_state_dict


def _arrays(n, value=1.0):
    return {f"layer.{i}.weight": np.full(100, value + i, np.float32) for i in range(n)}


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _leftovers(parent):
    return [p.name for p in parent.iterdir() if p.name.startswith(".tfx-")]


def test_fresh_save(tmp_path):
    target = tmp_path / "out" / "ckpt"
    with atomic_directory(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".tfx-ckpt.tmp-")
        assert not target.exists()
        save_state_dict(_arrays(2), tmp)
    assert sorted(p.name for p in target.iterdir()) == ["model.safetensors"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask
    assert _leftovers(target.parent) == []


def test_carry_over_keeps_other_files_but_no_stale_weights(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    save_state_dict(_arrays(6), target, max_shard_size=1000)  # three shards and an index
    for name in ("pytorch_model.bin", "tf_model.h5", "tokenizer.json", "config.json"):
        (target / name).write_text("old")
    (target / "1_Pooling").mkdir()
    (target / "1_Pooling" / "config.json").write_text("pooling")
    with atomic_directory(target) as tmp:
        save_state_dict(_arrays(2), tmp)
        (tmp / "config.json").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [
        "1_Pooling",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    ]
    assert (target / "config.json").read_text() == "new"  # written by the new save
    assert (target / "tokenizer.json").read_text() == "old"  # carried over
    assert (target / "1_Pooling" / "config.json").read_text() == "pooling"
    with open_checkpoint(target) as reader:
        assert len(reader) == 2
    assert _leftovers(tmp_path) == []


def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "ckpt"
    old = _arrays(2)
    with atomic_directory(target) as tmp:
        save_state_dict(old, tmp)
        (tmp / "config.json").write_text("{}")
    before = _snapshot(target)

    real_write = writer.write_shard
    calls = []

    def fail_on_second_shard(arrays, path, metadata):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        real_write(arrays, path, metadata)

    monkeypatch.setattr(writer, "write_shard", fail_on_second_shard)
    with pytest.raises(OSError, match="No space left"), atomic_directory(target) as tmp:
        save_state_dict(_arrays(6, value=9.0), tmp, max_shard_size=1000)
    assert calls == ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors"]
    assert _snapshot(target) == before
    with open_checkpoint(target) as reader:
        np.testing.assert_array_equal(reader.get("layer.1.weight"), old["layer.1.weight"])
    assert _leftovers(tmp_path) == []


def test_error_in_the_body_changes_nothing(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "config.json").write_text("keep")
    with pytest.raises(KeyError), atomic_directory(target) as tmp:
        (tmp / "config.json").write_text("half")
        raise KeyError("boom")
    assert _snapshot(target) == {"config.json": b"keep"}
    assert _leftovers(tmp_path) == []
    missing = tmp_path / "never"
    with pytest.raises(KeyError), atomic_directory(missing):
        raise KeyError("boom")
    assert not missing.exists() and _leftovers(tmp_path) == []


def test_symlinked_target_and_file_target(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with atomic_directory(link) as tmp:
        save_state_dict(_arrays(1), tmp)
    assert link.is_symlink() and (real / "model.safetensors").is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(WeightsError, match="not a folder"), atomic_directory(tmp_path / "file"):
        pass
