"""Weights I/O: sharding, atomic saves, corrupt files, pickle opt-in, reports, renames."""

import json

import numpy as np
import pytest

from tfx_core.errors import (
    CheckpointNotFoundError,
    ConfigError,
    CorruptCheckpointError,
    LoadError,
    UnsafeCheckpointError,
    WeightsError,
)
from tfx_core.weights import (
    LoadReport,
    RenameRules,
    align_prefix,
    atomic_directory,
    open_checkpoint,
    parse_size,
    save_state_dict,
)


def _tensors(n=6, size=100):
    rng = np.random.default_rng(0)
    return {f"layer.{i}.weight": rng.standard_normal((size,)).astype(np.float32) for i in range(n)}


def test_single_file_round_trip(tmp_path):
    tensors = _tensors()
    assert save_state_dict(tensors, tmp_path) == ["model.safetensors"]
    with open_checkpoint(tmp_path) as reader:
        assert sorted(reader.keys()) == sorted(tensors)
        assert reader.shape("layer.0.weight") == (100,)
        assert reader.dtype("layer.0.weight") == "F32"
        assert reader.metadata["format"] == "pt"
        for key, value in tensors.items():
            np.testing.assert_array_equal(reader.get(key), value)


def test_sharded_round_trip_and_index(tmp_path):
    tensors = _tensors()
    names = save_state_dict(tensors, tmp_path, max_shard_size=1000)  # 400 bytes each
    assert names[-1] == "model.safetensors.index.json"
    assert names[:-1] == [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert index["metadata"]["total_size"] == 6 * 400
    assert set(index["weight_map"]) == set(tensors)
    with open_checkpoint(tmp_path) as reader:
        for key, value in tensors.items():
            np.testing.assert_array_equal(reader.get(key), value)


def test_torch_tensors_including_bf16(tmp_path):
    torch = pytest.importorskip("torch")
    tensors = {"a": torch.randn(3, 4).to(torch.bfloat16), "b": torch.arange(5)}
    save_state_dict(tensors, tmp_path, max_shard_size="20B")
    with open_checkpoint(tmp_path) as reader:
        assert reader.dtype("a") == "BF16"
        assert torch.equal(reader.get("a", framework="pt"), tensors["a"])
        assert torch.equal(reader.get("b", framework="pt"), tensors["b"])


def test_shared_memory_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    weight = torch.randn(3)
    with pytest.raises(WeightsError, match="share memory"):
        save_state_dict({"a": weight, "b": weight}, tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"), [(10, 10), ("5GB", 5 * 10**9), ("10MB", 10**7), ("2GiB", 2 * 2**30)]
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_garbage():
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_interrupted_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "ckpt"
    old = _tensors(2)
    with atomic_directory(target) as tmp:
        save_state_dict(old, tmp)
        (tmp / "config.json").write_text("{}")
    (target / "tokenizer.json").write_text("{}")  # saved separately, must survive later saves

    import tfx_core.weights.writer as writer

    calls = {"n": 0}
    real = writer._write_file

    def failing(tensors, path, metadata):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real(tensors, path, metadata)

    monkeypatch.setattr(writer, "_write_file", failing)
    with pytest.raises(OSError, match="disk full"), atomic_directory(target) as tmp:
        save_state_dict(_tensors(6), tmp, max_shard_size=1000)
    with open_checkpoint(target) as reader:
        assert sorted(reader.keys()) == sorted(old)
        np.testing.assert_array_equal(reader.get("layer.0.weight"), old["layer.0.weight"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no temp folders left
    monkeypatch.setattr(writer, "_write_file", real)

    # A successful sharded save replaces the weights and keeps unrelated files.
    with atomic_directory(target) as tmp:
        save_state_dict(_tensors(6), tmp, max_shard_size=1000)
    names = sorted(p.name for p in target.iterdir())
    assert "model.safetensors" not in names and "tokenizer.json" in names
    assert "config.json" in names


def test_truncated_and_garbled_files(tmp_path):
    save_state_dict(_tensors(), tmp_path)
    path = tmp_path / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 50])
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        open_checkpoint(tmp_path)
    path.write_bytes(data[:8] + b"\xff" * (len(data) - 8))
    with pytest.raises(CorruptCheckpointError, match="corrupted header"):
        open_checkpoint(tmp_path)
    path.write_bytes(b"abc")
    with pytest.raises(CorruptCheckpointError, match="too short"):
        open_checkpoint(tmp_path)


def test_missing_shard_and_empty_folder(tmp_path):
    save_state_dict(_tensors(), tmp_path, max_shard_size=1000)
    (tmp_path / "model-00002-of-00003.safetensors").unlink()
    with pytest.raises(CorruptCheckpointError, match="missing"):
        open_checkpoint(tmp_path)
    with pytest.raises(CheckpointNotFoundError, match="No weights found"):
        open_checkpoint(tmp_path / "..")


def test_pickle_needs_opt_in(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "pytorch_model.bin")
    with pytest.raises(UnsafeCheckpointError, match="allow_pickle=True"):
        open_checkpoint(tmp_path)
    with open_checkpoint(tmp_path, allow_pickle=True) as reader:
        assert reader.keys() == ["w"]
        assert torch.equal(reader.get("w", framework="pt"), torch.ones(2))


def test_load_report():
    report = LoadReport(
        missing=["classifier.weight"],
        unexpected=["cls.bias"],
        mismatched=[("emb", (10, 4), (12, 4))],
        ignored_unexpected=["embeddings.position_ids"],
    )
    assert not report.is_clean
    text = str(report)
    assert "classifier.weight" in text and "cls.bias" in text and "(10, 4)" in text
    with pytest.raises(LoadError) as excinfo:
        report.raise_if_problems()
    assert excinfo.value.report is report
    clean = LoadReport(ignored_unexpected=["embeddings.position_ids"])
    assert clean.is_clean and "position_ids" in str(clean)
    clean.raise_if_problems()


def test_rename_rules_and_inverse():
    rules = RenameRules([(r"(.*)\.gamma$", r"\1.weight"), (r"(.*)\.beta$", r"\1.bias")])
    assert rules.apply("enc.LayerNorm.gamma") == "enc.LayerNorm.weight"
    assert rules.apply("enc.dense.weight") == "enc.dense.weight"
    inverse = rules.invert()
    assert inverse.apply("enc.LayerNorm.weight") == "enc.LayerNorm.gamma"
    assert inverse.apply("enc.LayerNorm.bias") == "enc.LayerNorm.beta"
    with pytest.raises(ConfigError, match="cannot be inverted"):
        RenameRules([(r"a.b", "c")]).invert()


def test_align_prefix_cases():
    base = ["embeddings.w", "encoder.w"]
    head_model = ["bert.embeddings.w", "bert.encoder.w", "classifier.w"]
    assert align_prefix(base, head_model, "bert") == {
        "bert.embeddings.w": "embeddings.w",
        "bert.encoder.w": "encoder.w",
    }
    head_ckpt = ["bert.embeddings.w", "bert.encoder.w", "classifier.w"]
    assert align_prefix(head_ckpt, base, "bert") == {
        "embeddings.w": "bert.embeddings.w",
        "encoder.w": "bert.encoder.w",
    }
    assert align_prefix(head_ckpt, head_model, "bert") == {k: k for k in head_model}
