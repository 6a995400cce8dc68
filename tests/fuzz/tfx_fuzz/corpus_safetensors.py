"""safetensors corpus: bad header lengths, junk header JSON, offsets past the end or
overlapping, wrong dtype names, shape/size mismatches, truncated data, wrong shapes or flipped
bits in real keys; sharded indexes pointing at missing shards, outside the folder, through
symlinks; pickle-only folders. Each case loads the model (tfx and reference) and runs it."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path
from typing import Any

from tfx_fuzz import fixtures
from tfx_fuzz.checks import check_forward, check_load, load_watched
from tfx_fuzz.harness import Case

WEIGHTS = "model.safetensors"
INDEX = "model.safetensors.index.json"


def split_file(raw: bytes) -> tuple[dict[str, Any], bytes]:
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def join_file(header: Any, data: bytes, *, header_bytes: bytes | None = None) -> bytes:
    text = header_bytes if header_bytes is not None else json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _tensor_keys(header: dict[str, Any]) -> list[str]:
    return sorted(k for k in header if k != "__metadata__")


def _mutate_single(rng: random.Random, raw: bytes) -> tuple[str, bytes]:
    header, data = split_file(raw)
    keys = _tensor_keys(header)
    key = rng.choice(keys)
    entry = header[key]
    kind = rng.choice(
        [
            "length",
            "junk",
            "offsets",
            "overlap",
            "dtype",
            "shape",
            "truncate",
            "real_shape",
            "flip_key",
            "drop_key",
            "metadata",
            "entry_type",
            "append",
        ]
    )
    if kind == "length":
        value = rng.choice([0, 1, 7, len(raw), 2**40, 2**64 - 1, 100_000_001])
        return f"header length {value}", struct.pack("<Q", value) + raw[8:]
    if kind == "junk":
        junk = rng.choice(
            [
                b"{not json",
                b"[]",
                b"null",
                b"\xff\xfe\x00",
                b"[" * 5000 + b"]" * 5000,
                b'{"a": ' + b"9" * 5000 + b"}",
                b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "x": 1}',
            ]
        )
        return f"junk header {junk[:12]!r}", join_file(None, data, header_bytes=junk)
    if kind == "offsets":
        start, end = entry["data_offsets"]
        value = rng.choice(
            [[start, len(data) + 8], [end, start], [-4, end], [start, 2**70], ["0", end], [start]]
        )
        entry["data_offsets"] = value
        return f"offsets of {key} = {str(value)[:30]}", join_file(header, data)
    if kind == "overlap":
        other = header[rng.choice(keys)]
        entry["data_offsets"] = list(other["data_offsets"])
        entry["shape"], entry["dtype"] = list(other["shape"]), other["dtype"]
        return f"{key} overlaps another tensor", join_file(header, data)
    if kind == "dtype":
        value = rng.choice(["F33", "", "f32", "float32", 5, None, "BF16", "I64", "F8_E4M3", "C64"])
        entry["dtype"] = value
        return f"dtype of {key} = {value!r}", join_file(header, data)
    if kind == "shape":
        value = rng.choice([[], [-1], [2**40], [0], ["3"], None, [1, 2, 3, 4, 5, 6, 7, 8, 9]])
        entry["shape"] = value
        return f"shape of {key} = {value!r}", join_file(header, data)
    if kind == "truncate":
        cut = rng.randrange(8, len(raw))
        return f"truncated at {cut}/{len(raw)}", raw[:cut]
    if kind == "real_shape":
        # A consistent file whose tensor has the wrong shape for the model.
        shape = list(entry["shape"])
        if len(shape) == 2 and shape[0] % 2 == 0:
            entry["shape"] = [shape[0] // 2, shape[1] * 2]
        else:
            entry["shape"] = [int(max(1, __import__("math").prod(shape)))]
        return f"wrong shape for {key}", join_file(header, data)
    if kind == "flip_key":
        position = rng.randrange(len(key))
        flipped = key[:position] + chr(ord(key[position]) ^ 1) + key[position + 1 :]
        header[flipped] = header.pop(key)
        return f"bit flipped in key {key}", join_file(header, data)
    if kind == "drop_key":
        del header[key]
        return f"tensor {key} missing", join_file(header, data)
    if kind == "metadata":
        value = rng.choice([[1], {"format": 1}, "pt", {"format": "tf"}, {"a": {"b": 1}}])
        header["__metadata__"] = value
        return f"metadata {value!r}", join_file(header, data)
    if kind == "entry_type":
        header[key] = rng.choice([[1, 2], "x", None, {"dtype": "F32"}])
        return f"entry {key} malformed", join_file(header, data)
    extra = rng.choice([b"\x00" * 16, b"junk" * 100])
    return f"{len(extra)} bytes appended", raw + extra


def _sharded(folder: Path) -> dict[str, Any]:
    """Split the single file into two shards and an index."""
    raw = (folder / WEIGHTS).read_bytes()
    header, data = split_file(raw)
    keys = _tensor_keys(header)
    halves = [keys[: len(keys) // 2], keys[len(keys) // 2 :]]
    weight_map = {}
    for number, part in enumerate(halves, 1):
        name = f"model-0000{number}-of-00002.safetensors"
        sub, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
        for key in part:
            start, end = header[key]["data_offsets"]
            sub[key] = {**header[key], "data_offsets": [offset, offset + end - start]}
            chunks.append(data[start:end])
            offset += end - start
            weight_map[key] = name
        (folder / name).write_bytes(join_file(sub, b"".join(chunks)))
    (folder / WEIGHTS).unlink()
    index = {"metadata": {"total_size": len(data)}, "weight_map": weight_map}
    (folder / INDEX).write_text(json.dumps(index))
    return index


def _mutate_sharded(rng: random.Random, folder: Path) -> str:
    index = _sharded(folder)
    weight_map = index["weight_map"]
    key = rng.choice(sorted(weight_map))
    kind = rng.choice(
        [
            "missing",
            "dotdot",
            "absolute",
            "symlink_out",
            "symlink_dir",
            "types",
            "extra_key",
            "unlisted",
            "deep",
            "dev",
        ]
    )
    if kind == "missing":
        (folder / "model-00002-of-00002.safetensors").unlink()
        return "a shard is missing"
    if kind == "dotdot":
        weight_map[key] = "../model-00001-of-00002.safetensors"
    elif kind == "absolute":
        weight_map[key] = str(folder / "model-00001-of-00002.safetensors")
    elif kind == "symlink_out":
        outside = folder.parent / "outside.safetensors"
        shard = folder / "model-00002-of-00002.safetensors"
        outside.write_bytes(shard.read_bytes()[: rng.randrange(8, 200)])
        shard.unlink()
        shard.symlink_to(outside)
        return "a shard is a symlink to a truncated file outside the folder"
    elif kind == "symlink_dir":
        shard = folder / "model-00002-of-00002.safetensors"
        shard.unlink()
        shard.symlink_to(folder.parent, target_is_directory=True)
        return "a shard is a symlink to a folder"
    elif kind == "dev":
        shard = folder / "model-00002-of-00002.safetensors"
        shard.unlink()
        shard.symlink_to("/dev/zero")
        return "a shard is a symlink to /dev/zero"
    elif kind == "types":
        weight_map[key] = rng.choice([1, None, ["x"], "", ".", "..", {"a": 1}])
    elif kind == "extra_key":
        weight_map["bert.not_a_tensor"] = "model-00001-of-00002.safetensors"
    elif kind == "unlisted":
        del weight_map[key]
    elif kind == "deep":
        (folder / INDEX).write_text('{"weight_map": ' + "[" * 50_000 + "]" * 50_000 + "}")
        return "index nested 50,000 deep"
    (folder / INDEX).write_text(json.dumps(index))
    return f"index {kind} ({key})"


def _run_tfx(folder: Path, prepared: Any) -> None:
    from tfx_core import AutoModelForMaskedLM

    model, messages = load_watched(lambda: AutoModelForMaskedLM.from_pretrained(folder))
    check_load(model, messages)
    check_forward(model, model.config.vocab_size)


def _run_reference(folder: Path, prepared: Any) -> None:
    import transformers

    model = transformers.AutoModelForMaskedLM.from_pretrained(folder)
    check_forward(model, model.config.vocab_size)


def case(seed: int) -> Case:
    rng = random.Random(seed)
    sharded = rng.random() < 0.3
    pickle_only = rng.random() < 0.03
    if pickle_only:
        label, mutated = "pickle-only folder", b""
    elif sharded:
        label, mutated = f"sharded: {_preview_sharded(seed)}", b""
    else:
        raw = (fixtures.built_folder("bert") / WEIGHTS).read_bytes()
        label, mutated = _mutate_single(rng, raw)

    def setup(folder: Path) -> None:
        fixtures.copy_checkpoint("bert", folder)
        if pickle_only:
            (folder / WEIGHTS).unlink()
            (folder / "pytorch_model.bin").write_bytes(b"\x80\x04junk")
        elif sharded:
            _mutate_sharded(random.Random(seed), folder)
        else:
            (folder / WEIGHTS).write_bytes(mutated)

    return Case("safetensors", seed, label, setup, _run_tfx, _run_reference)


def _preview_sharded(seed: int) -> str:
    """The label of a sharded case, from a dry run on a scratch copy."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        fixtures.copy_checkpoint("bert", folder)
        return _mutate_sharded(random.Random(seed), folder)
