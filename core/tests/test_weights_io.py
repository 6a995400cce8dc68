"""Safetensors reading and writing: round trips, sharding, corrupt files, pickle opt-in."""

import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from tfx_core.errors import (
    CheckpointNotFoundError,
    ConfigError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
    WeightsError,
)
from tfx_core.weights import open_checkpoint, parse_size, save_state_dict


def _arrays(n=6, size=100):
    rng = np.random.default_rng(0)
    return {f"layer.{i}.weight": rng.standard_normal(size).astype(np.float32) for i in range(n)}


def test_single_file_round_trip_numpy(tmp_path):
    tensors = {
        "a": np.arange(12, dtype=np.float32).reshape(3, 4),
        "b": np.array([1, 2, 3], dtype=np.int64),
        "c": np.array([True, False]),
        "d": np.ones((2, 2), dtype=np.float16),
        "e": np.zeros((0, 3), dtype=np.float32),
    }
    names = save_state_dict(tensors, tmp_path, metadata={"source": "test"})
    assert names == ["model.safetensors"]
    with open_checkpoint(tmp_path) as reader:
        assert sorted(reader.keys()) == list(tensors) and len(reader) == 5 and "a" in reader
        assert reader.shape("a") == (3, 4) and reader.shape("e") == (0, 3)
        assert [reader.dtype(k) for k in tensors] == ["F32", "I64", "BOOL", "F16", "F32"]
        assert reader.metadata == {"format": "pt", "source": "test"}
        assert reader.files == [tmp_path / "model.safetensors"]
        for key, value in tensors.items():
            np.testing.assert_array_equal(reader.get(key), value)
        with pytest.raises(KeyError, match="nope"):
            reader.get("nope")
        with pytest.raises(ConfigError, match="framework"):
            reader.get("a", framework="jax")


def test_sharded_round_trip_and_index(tmp_path):
    tensors = _arrays()  # 400 bytes each
    names = save_state_dict(tensors, tmp_path, max_shard_size=1000)
    shards = [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    assert names == [*shards, "model.safetensors.index.json"]
    assert not (tmp_path / "model.safetensors").exists()
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert index["metadata"] == {"total_size": 6 * 400}
    assert list(index["weight_map"]) == sorted(tensors)
    from safetensors import safe_open

    for shard in shards:  # every shard holds exactly what the index says, with format=pt
        with safe_open(str(tmp_path / shard), framework="np") as handle:
            listed = {k for k, v in index["weight_map"].items() if v == shard}
            assert set(handle.keys()) == listed and len(listed) == 2
            assert handle.metadata() == {"format": "pt"}
    with open_checkpoint(tmp_path) as reader:
        assert sorted(reader.keys()) == sorted(tensors)
        for key, value in tensors.items():
            np.testing.assert_array_equal(reader.get(key), value)


def test_oversized_tensor_gets_its_own_shard(tmp_path):
    tensors = {"small": np.zeros(10, np.float32), "big": np.zeros(1000, np.float32)}
    names = save_state_dict(tensors, tmp_path, max_shard_size="1kB")
    assert len(names) == 3  # two shards and the index
    index = json.loads((tmp_path / names[-1]).read_text())
    assert index["weight_map"]["small"] != index["weight_map"]["big"]


def test_torch_round_trip_including_bf16(tmp_path):
    torch = pytest.importorskip("torch")
    tensors = {
        "bf16": torch.randn(3, 4).to(torch.bfloat16),
        "f16": torch.randn(5).half(),
        "ids": torch.arange(5),
        "transposed": torch.randn(4, 3).t(),  # not contiguous
        "param": torch.nn.Parameter(torch.randn(2)),
        "numpy": np.arange(4, dtype=np.float32),
    }
    save_state_dict(tensors, tmp_path, max_shard_size="40B")
    with open_checkpoint(tmp_path) as reader:
        assert reader.dtype("bf16") == "BF16" and reader.dtype("ids") == "I64"
        for key, value in tensors.items():
            expected = torch.as_tensor(value).detach()
            assert torch.equal(reader.get(key, framework="pt"), expected), key
        assert isinstance(reader.get("f16", framework="torch"), torch.Tensor)
        np.testing.assert_array_equal(reader.get("ids"), np.arange(5))
        try:
            import ml_dtypes  # noqa: F401
        except ImportError:
            with pytest.raises(WeightsError, match="framework='pt'"):
                reader.get("bf16")
        else:
            as_np = reader.get("bf16").astype(np.float32)
            np.testing.assert_array_equal(as_np, tensors["bf16"].float().numpy())


def test_shared_memory_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    weight = torch.randn(6)
    for aliases in ({"a": weight, "b": weight}, {"a": weight[:4], "b": weight[2:]}):
        with pytest.raises(WeightsError, match="share memory"):
            save_state_dict(aliases, tmp_path)
    array = np.zeros(6, np.float32)
    with pytest.raises(WeightsError, match=r"'a' and 'b' share memory"):
        save_state_dict({"a": array, "b": torch.from_numpy(array)}, tmp_path)
    with pytest.raises(WeightsError, match="share memory"):
        save_state_dict({"a": array, "b": array[::2]}, tmp_path)
    save_state_dict({"a": weight[:3], "b": weight[3:]}, tmp_path)  # disjoint views are fine
    with open_checkpoint(tmp_path) as reader:
        assert torch.equal(reader.get("b", framework="pt"), weight[3:])


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (10, 10),
        ("5GB", 5 * 10**9),
        ("10MB", 10**7),
        ("2GiB", 2 * 2**30),
        ("1.5 kB", 1500),
        ("20B", 20),
    ],
)
def test_parse_size(size, expected):
    assert parse_size(size) == expected


@pytest.mark.parametrize("size", ["lots", "5XB", 0, -1, "0GB", True, 1.5])
def test_parse_size_rejects_garbage(size):
    with pytest.raises(ConfigError, match="max_shard_size"):
        parse_size(size)


def test_bad_inputs(tmp_path):
    with pytest.raises(WeightsError, match="not a torch tensor or numpy array"):
        save_state_dict({"a": [1.0, 2.0]}, tmp_path)
    with pytest.raises(WeightsError, match="dtype complex64"):
        save_state_dict({"a": np.zeros(2, np.complex64)}, tmp_path)
    with pytest.raises(ConfigError, match="metadata"):
        save_state_dict({"a": np.zeros(2)}, tmp_path, metadata={"step": 3})
    assert not (tmp_path / "model.safetensors").exists()


def test_resave_in_place_removes_stale_shards(tmp_path):
    save_state_dict(_arrays(), tmp_path, max_shard_size=1000)
    (tmp_path / "config.json").write_text("{}")
    assert save_state_dict(_arrays(2), tmp_path) == ["model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    save_state_dict(_arrays(), tmp_path, max_shard_size=1000)
    assert not (tmp_path / "model.safetensors").exists()
    with open_checkpoint(tmp_path) as reader:
        assert len(reader) == 6


def _broken(tmp_path, data):
    (tmp_path / "model.safetensors").write_bytes(data)
    with pytest.raises(CorruptCheckpointError) as excinfo:
        open_checkpoint(tmp_path)
    message = str(excinfo.value)
    assert "model.safetensors" in message and "download or save" in message
    return message


def test_corrupted_files_give_clear_errors(tmp_path):
    save_state_dict(_arrays(), tmp_path)
    data = (tmp_path / "model.safetensors").read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    assert "is truncated: its header describes" in _broken(tmp_path, data[:-50])
    assert "too short" in _broken(tmp_path, b"abc")
    assert "not a safetensors file" in _broken(tmp_path, struct.pack("<Q", 10**12) + data[8:])
    assert "corrupted header" in _broken(tmp_path, data[:8] + b"\xff" * (len(data) - 8))
    header = json.loads(data[8 : 8 + header_len])
    header["layer.0.weight"]["shape"] = [7]  # size no longer matches the offsets
    raw = json.dumps(header, separators=(",", ":")).encode().ljust(header_len)
    assert "'layer.0.weight'" in _broken(tmp_path, data[:8] + raw + data[8 + header_len :])


def test_corrupted_hub_cache_file_names_the_blob(tmp_path):
    save_state_dict(_arrays(), tmp_path / "blobs")
    blob = tmp_path / "blobs" / "abc123"
    (tmp_path / "blobs" / "model.safetensors").rename(blob)
    blob.write_bytes(blob.read_bytes()[:-10])
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "model.safetensors").symlink_to(blob)
    with pytest.raises(CorruptCheckpointError, match=r"Hugging Face cache entry: delete .*abc123"):
        open_checkpoint(snapshot)


def test_sharded_index_inconsistencies(tmp_path):
    save_state_dict(_arrays(), tmp_path, max_shard_size=1000)
    index_path = tmp_path / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    second = tmp_path / "model-00002-of-00003.safetensors"
    content = second.read_bytes()

    second.unlink()
    with pytest.raises(CorruptCheckpointError, match="lists shard 'model-00002-of-00003"):
        open_checkpoint(tmp_path)

    save_state_dict({"layer.2.weight": np.zeros(100, np.float32)}, tmp_path / "one")
    second.write_bytes((tmp_path / "one" / "model.safetensors").read_bytes())
    with pytest.raises(CorruptCheckpointError, match=r"Shard model-00002-of-00003.* lacks"):
        open_checkpoint(tmp_path)

    second.write_bytes(content)
    del index["weight_map"]["layer.3.weight"]
    index_path.write_text(json.dumps(index))
    with pytest.raises(CorruptCheckpointError, match=r"Shard model-00002.*does not list"):
        open_checkpoint(tmp_path)

    index_path.write_text("{not json")
    with pytest.raises(CorruptCheckpointError, match="malformed"):
        open_checkpoint(tmp_path)


def test_pickle_needs_opt_in(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"w": torch.ones(2, 3), "h": torch.ones(2, dtype=torch.bfloat16)}
    torch.save(state, tmp_path / "pytorch_model.bin")
    with pytest.raises(UnsafeCheckpointError, match=r"allow_pickle=True.*convert"):
        open_checkpoint(tmp_path)
    with open_checkpoint(tmp_path, allow_pickle=True) as reader:
        assert reader.kind == "pickle" and sorted(reader.keys()) == ["h", "w"]
        assert reader.shape("w") == (2, 3) and reader.dtype("h") == "BF16"
        assert torch.equal(reader.get("w", framework="pt"), state["w"])
        np.testing.assert_array_equal(reader.get("w"), np.ones((2, 3), np.float32))
    save_state_dict({"s": np.zeros(1, np.float32)}, tmp_path)  # safetensors wins when present
    with open_checkpoint(tmp_path) as reader:
        assert reader.keys() == ["s"]


def test_sharded_pickle_and_unsafe_content(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"a": torch.zeros(2)}, tmp_path / "pytorch_model-00001-of-00002.bin")
    torch.save({"b": torch.ones(2)}, tmp_path / "pytorch_model-00002-of-00002.bin")
    weight_map = {"a": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin"}
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    with pytest.raises(UnsafeCheckpointError):
        open_checkpoint(tmp_path)
    with open_checkpoint(tmp_path, allow_pickle=True) as reader:
        assert torch.equal(reader.get("b", framework="pt"), torch.ones(2))
    evil = tmp_path / "evil"
    evil.mkdir()
    torch.save(
        {"a": torch.zeros(1), "obj": CheckpointNotFoundError("x")}, evil / "pytorch_model.bin"
    )
    with pytest.raises(UnsafeCheckpointError, match="objects other than tensors"):
        open_checkpoint(evil, allow_pickle=True)


def test_no_weights(tmp_path):
    (tmp_path / "tf_model.h5").write_bytes(b"")
    with pytest.raises(CheckpointNotFoundError) as excinfo:
        open_checkpoint(tmp_path)
    message = str(excinfo.value)
    assert "model.safetensors" in message and "pytorch_model.bin" in message
    assert "tf_model.h5" in message
    with pytest.raises(CheckpointNotFoundError, match="not a folder"):
        open_checkpoint(tmp_path / "absent")


def test_numpy_path_imports_no_torch(tmp_path):
    code = (
        "import sys, numpy as np\n"
        "from tfx_core.weights import save_state_dict, open_checkpoint\n"
        f"save_state_dict({{'a': np.ones(3, np.float32)}}, {str(tmp_path)!r}, max_shard_size=4)\n"
        f"assert open_checkpoint({str(tmp_path)!r}).get('a').sum() == 3\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
