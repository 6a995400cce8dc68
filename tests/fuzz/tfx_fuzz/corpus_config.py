"""config.json corpus: truncated or non-UTF-8 files, wrong types and absurd values for every
field, missing / unknown / foreign / non-string model_type, architectures naming nothing, keys
that look like code, deep nesting and 5,000-digit numbers. Each case loads the folder (config,
then the model, then one forward pass) with tfx and with the reference."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tfx_fuzz import fixtures
from tfx_fuzz.checks import check_forward, check_load, load_watched
from tfx_fuzz.harness import Case

ABSURD = [
    None,
    "12",
    "",
    [],
    {},
    True,
    False,
    -1,
    0,
    1,
    3,
    10**12,
    2**63,
    -(2**63),
    1.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e300,
    "gelu",
    [1, 2],
    {"a": 1},
]

CODE_KEYS = [
    ("__dict__", {}),
    ("__class__", "os.system"),
    ("_name_or_path", "../../etc"),
    ("__init__", 1),
    ("validate", 0),
    ("to_dict", None),
    ("attribute_map", {"hidden_size": "vocab_size"}),
    ("num_labels", "many"),
    ("auto_map", {"AutoModel": "evil_module.EvilModel"}),
    ("trust_remote_code", True),
    ("os.system", "touch $TFX_FUZZ_MARKER"),
    ("__import__('os').system('touch marker')", 1),
    ("tfx_version", {"x": 1}),
    ("use_return_dict", False),
]


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _mutate(rng: random.Random, data: dict[str, Any]) -> tuple[str, bytes]:
    """One mutation of `data`; returns (label, file bytes)."""
    kind = rng.choice(
        [
            "field",
            "field",
            "field",
            "field",
            "delete",
            "model_type",
            "architectures",
            "code_key",
            "labels",
            "truncate",
            "non_utf8",
            "deep",
            "digits",
            "not_object",
            "token_ids",
        ]
    )
    keys = sorted(data)
    if kind == "field":
        key = rng.choice(keys)
        value = rng.choice(ABSURD)
        data[key] = value
        return f"field {key}={value!r}"[:80], _dump(data)
    if kind == "delete":
        key = rng.choice(keys)
        del data[key]
        return f"delete {key}", _dump(data)
    if kind == "model_type":
        value = rng.choice([None, "", "xyzzy", "gpt2", "bert", 7, ["bert"], {"a": 1}, "../bert"])
        if value is None:
            data.pop("model_type", None)
        else:
            data["model_type"] = value
        return f"model_type={value!r}", _dump(data)
    if kind == "architectures":
        value = rng.choice(
            [["NotAClass"], "BertForMaskedLM", [1], [], None, [None], ["os:system"], {"a": 1}]
        )
        data["architectures"] = value
        return f"architectures={value!r}", _dump(data)
    if kind == "code_key":
        key, value = rng.choice(CODE_KEYS)
        data[key] = value
        return f"key {key!r}", _dump(data)
    if kind == "labels":
        value = rng.choice(
            [
                ("id2label", {"a": "x"}),
                ("id2label", [1, 2]),
                ("id2label", {str(i): i for i in range(3)}),
                ("label2id", {"x": "y"}),
                ("num_labels", -3),
                ("num_labels", 10**9),
                ("id2label", {"0": "a", "1": "b", "2": "c"}),
                ("problem_type", "fancy"),
            ]
        )
        data[value[0]] = value[1]
        return f"labels {value[0]}={str(value[1])[:30]}", _dump(data)
    if kind == "truncate":
        raw = _dump(data)
        cut = rng.randrange(0, len(raw))
        return f"truncate at {cut}", raw[:cut]
    if kind == "non_utf8":
        raw = bytearray(_dump(data))
        at = rng.randrange(0, len(raw))
        raw[at:at] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])
        return f"bad bytes at {at}", bytes(raw)
    if kind == "deep":
        key = rng.choice(keys)
        text = _dump(data).decode()
        nested = _deep(rng.choice([200, 5000, 100_000]))
        return f"deep {key}", text.replace(f'"{key}":', f'"{key}": {nested}, "_x":', 1).encode()
    if kind == "digits":
        key = rng.choice(keys)
        text = _dump(data).decode()
        digits = "9" * rng.choice([400, 5000])
        return f"digits {key}", text.replace(f'"{key}":', f'"{key}": {digits}, "_y":', 1).encode()
    if kind == "not_object":
        return "not an object", rng.choice([b"[]", b"null", b"3", b'"bert"', b""])
    value = rng.choice([-1, 10**6, 10**30, 3.5, "0", [0, "x"], [-5], True])
    key = rng.choice(["pad_token_id", "bos_token_id", "eos_token_id"])
    data[key] = value
    return f"{key}={value!r}", _dump(data)


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=1).encode()


def _run_tfx(folder: Path, prepared: Any) -> None:
    from tfx_core import AutoConfig, AutoModelForMaskedLM

    config = AutoConfig.from_pretrained(folder)
    model, messages = load_watched(lambda: AutoModelForMaskedLM.from_pretrained(folder))
    check_load(model, messages)
    check_forward(model, config.vocab_size)


def _run_reference(folder: Path, prepared: Any) -> None:
    import transformers

    config = transformers.AutoConfig.from_pretrained(folder)
    model = transformers.AutoModelForMaskedLM.from_pretrained(folder)
    check_forward(model, config.vocab_size)


def mutated_config(seed: int) -> tuple[str, bytes]:
    """The label and bytes of config case `seed`: one to three stacked mutations."""
    rng = random.Random(seed)
    data = json.loads((fixtures.built_folder("bert") / "config.json").read_text())
    data.pop("tfx_version", None)
    labels, raw = [], _dump(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        label, raw = _mutate(rng, data)
        labels.append(label)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            break
        if not isinstance(data, dict):
            break
    return "; ".join(labels), raw


def case(seed: int) -> Case:
    label, raw = mutated_config(seed)

    def setup(folder: Path) -> None:
        fixtures.copy_checkpoint("bert", folder)
        (folder / "config.json").write_bytes(raw)

    return Case("config", seed, label, setup, _run_tfx, _run_reference)
