"""Tokenizer corpora.

`tokenizer-files`: corrupted tokenizer.json, wrong types in tokenizer_config.json, empty or
binary vocabularies, malformed merges, special tokens missing from the vocabulary, absurd
model_max_length; loaded with AutoTokenizer (tfx and reference), then one encode and decode.

`tokenizer-text`: adversarial inputs to a valid tokenizer: empty, megabyte strings, lone
surrogates, NUL, RTL and combining marks, mixed types, pairs of unequal lengths, max_length 0 or
negative, stride >= max length, bad padding and tensor options.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tfx_fuzz import fixtures
from tfx_fuzz.harness import Case, CheckFailed

ABSURD = [None, -1, 0, 10**30, 1e309, "x", [], {}, [1, "a"], True, {"content": None}, "\x00"]

CONFIG_FIELDS = {
    "model_max_length": [-5, 0, "512", 1e30, float("nan"), 10**40, None, [512]],
    "model_input_names": ["input_ids", [1, 2], None, [], ["input_ids", None], {"a": 1}],
    "chat_template": [
        1,
        [1],
        [{"name": 1, "template": 2}],
        [{"template": "x"}],
        "{{ 'a' * 10000000000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% if %}",
        {"default": 5},
    ],
    "added_tokens_decoder": [
        {"x": {"content": "a"}},
        {"5": "tok"},
        {"5": {"content": 1}},
        {"999999": {"content": "[NEW]", "special": True}},
        {"-1": {"content": "[NEG]"}},
        [1, 2],
        {"2": {}},
    ],
    "tokenizer_class": [1, "EvilTokenizer", "os.system", "", None, ["BertTokenizer"]],
    "padding_side": ["up", 1, None, ""],
    "truncation_side": ["middle", 0],
    "pad_token": [1, {"content": None}, ["[PAD]"], "[NOT_IN_VOCAB]", {"content": "[PAD]"}, ""],
    "unk_token": [5, "[MISSING]", {"x": 1}],
    "cls_token": [[], "\x00", {"content": "[CLS]", "special": "yes"}],
    "mask_token": [{"content": "[MASK]", "lstrip": "no"}],
    "additional_special_tokens": ["[A]", [1, 2], [{"content": 3}], [None]],
    "extra_special_tokens": [["[E]"], {"x": 1}, "y", {"image_token": {"content": 1}}],
    "clean_up_tokenization_spaces": ["maybe", None],
    "do_lower_case": ["yes", 2],
    "add_prefix_space": ["true", None],
    "split_special_tokens": [1, "no"],
    "max_len": [-1, "x"],
    "name_or_path": [1, None],
}


def _mutate_files(rng: random.Random, folder: Path, kind: str) -> str:
    tj = folder / "tokenizer.json"
    tc = folder / "tokenizer_config.json"
    action = rng.choice(
        ["config_field"] * 6
        + ["tokenizer_json", "tokenizer_json", "special_map", "legacy_only", "deep", "digits"]
    )
    if action == "config_field":
        config = json.loads(tc.read_text())
        field = rng.choice(sorted(CONFIG_FIELDS))
        config[field] = rng.choice(CONFIG_FIELDS[field])
        tc.write_text(json.dumps(config))
        return f"{field}={str(config[field])[:40]!r}"
    if action == "deep":
        target = rng.choice([tj, tc])
        target.write_text('{"a": ' + "[" * 20_000 + "]" * 20_000 + "}")
        return f"{target.name} nested 20,000 deep"
    if action == "digits":
        target = rng.choice([tj, tc])
        target.write_text('{"model_max_length": ' + "7" * 5000 + "}")
        return f"{target.name} with a 5,000-digit number"
    if action == "special_map":
        value = rng.choice(
            ['{"pad_token": 5}', "[]", '{"additional_special_tokens": "x"}', "\xff", "{"]
        )
        (folder / "special_tokens_map.json").write_text(value, encoding="latin-1")
        config = json.loads(tc.read_text())
        config.pop("added_tokens_decoder", None)
        for role in ("pad_token", "additional_special_tokens"):
            config.pop(role, None)
        tc.write_text(json.dumps(config))
        return f"special_tokens_map.json {value[:20]!r}"
    if action == "legacy_only":
        tj.unlink()
        vocab_file = folder / ("vocab.txt" if kind == "bert" else "vocab.json")
        value = rng.choice([b"", b"\x00\xff\xfe" * 50, b"[PAD]\n" * 3, b"{}", b"not json"])
        vocab_file.write_bytes(value)
        if kind == "gpt2":
            (folder / "merges.txt").write_bytes(rng.choice([b"", b"a\n", b"#version\nq r s t\n"]))
        return f"legacy files only, vocab {value[:10]!r}"
    data = json.loads(tj.read_text())
    model = data["model"]
    change = rng.choice(
        [
            "truncate",
            "junk",
            "model_type",
            "vocab_empty",
            "vocab_types",
            "merges",
            "added",
            "unk",
            "normalizer",
            "post_processor",
        ]
    )
    if change == "truncate":
        raw = tj.read_bytes()
        tj.write_bytes(raw[: rng.randrange(len(raw))])
        return "tokenizer.json truncated"
    if change == "junk":
        tj.write_bytes(bytes(rng.randrange(256) for _ in range(64)))
        return "tokenizer.json is random bytes"
    if change == "model_type":
        model["type"] = rng.choice(["Unigram", "Nope", 1, None])
    elif change == "vocab_empty":
        model["vocab"] = {} if isinstance(model.get("vocab"), dict) else []
    elif change == "vocab_types":
        model["vocab"] = rng.choice([{"a": "x"}, {"a": -1}, [["a", "b"]], "vocab", {"a": 2**70}])
    elif change == "merges":
        model["merges"] = rng.choice([["zz qq"], ["a"], [1], "a b", [["a"]], ["a b c"]])
    elif change == "added":
        data["added_tokens"] = rng.choice(
            [
                [{"id": 10**6, "content": "[X]", "special": True}],
                [{"id": 0, "content": None}],
                [{"content": "[Y]"}],
                "x",
            ]
        )
    elif change == "unk":
        model["unk_token"] = rng.choice(["[NOPE]", 5, None])
    elif change == "normalizer":
        data["normalizer"] = rng.choice([{"type": "Evil"}, 1, {"type": "Replace"}])
    else:
        data["post_processor"] = rng.choice(
            [{"type": "TemplateProcessing", "single": 1}, {"type": "BertProcessing"}, "x"]
        )
    tj.write_text(json.dumps(data))
    return f"tokenizer.json {change}"


def _check_encoding(encoding: Any, vocab_size: int) -> None:
    ids = encoding["input_ids"]
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise CheckFailed(f"input_ids is not a list of ints: {ids!r}"[:200])


def _files_tfx(folder: Path, prepared: Any) -> None:
    from tfx_core import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoding = tokenizer("Hello world, the cat runs!")
    _check_encoding(encoding, len(tokenizer))
    tokenizer.decode(encoding["input_ids"])


def _files_reference(folder: Path, prepared: Any) -> None:
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    encoding = tokenizer("Hello world, the cat runs!")
    _check_encoding(encoding, len(tokenizer))
    tokenizer.decode(encoding["input_ids"])


def files_case(seed: int) -> Case:
    kind = "bert" if seed % 3 else "gpt2"
    label_holder = {}

    def setup(folder: Path) -> None:
        fixtures.copy_checkpoint(kind, folder)
        for name in ("model.safetensors", "generation_config.json"):
            (folder / name).unlink(missing_ok=True)
        label_holder["label"] = _mutate_files(random.Random(seed), folder, kind)

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # the label, from a dry run of the mutation
        dry = Path(tmp) / "dry"
        fixtures.copy_checkpoint(kind, dry)
        label = f"{kind}: {_mutate_files(random.Random(seed), dry, kind)}"
    return Case("tokenizer-files", seed, label, setup, _files_tfx, _files_reference)


# ----------------------------------------------------------------------- adversarial text
TEXTS = [
    "",
    " ",
    "a" * 1_000_000,
    "hello " * 200_000,
    "\ud800",
    "abc\udfffdef",
    "\x00",
    "nul\x00inside",
    "\u202eevil\u202c text",
    "e" + "\u0301" * 5000,
    "\U0001f600" * 100,
    "مرحبا بالعالم",
    "the cat\tran\n\r\n",
    "[CLS] [SEP] [MASK] <|endoftext|>",
    "\ufeff\u200b\u2028",
]
TEXT_INPUTS = [
    *TEXTS,
    None,
    5,
    3.5,
    b"bytes",
    ["a", 1],
    ["a", None],
    [["a", "b"], ["c"]],
    [],
    [""],
    ["hello", "world"],
    {"text": "x"},
    [["nested", ["deeper"]]],
]
OPTIONS = {
    "max_length": [0, -1, 1, 2, 3, 10**12, "5", 2.5],
    "stride": [0, 1, 5, 100, -1, "x"],
    "truncation": [True, False, "only_first", "only_second", "longest_first", "nope", 1],
    "padding": [True, "max_length", "longest", "nope", 2],
    "return_tensors": ["np", "pt", "xx", 1, None],
    "pad_to_multiple_of": [0, -3, 7, "8"],
    "return_overflowing_tokens": [True],
    "return_offsets_mapping": [True],
    "is_split_into_words": [True],
    "add_special_tokens": [False, "no"],
    "padding_side": ["left", "middle"],
}


def _text_request(seed: int) -> tuple[str, dict[str, Any]]:
    rng = random.Random(seed)
    request: dict[str, Any] = {"text": rng.choice(TEXT_INPUTS)}
    if rng.random() < 0.35:
        request["text_pair"] = rng.choice(TEXT_INPUTS)
    for name in rng.sample(sorted(OPTIONS), rng.choice([0, 1, 2, 3])):
        request[name] = rng.choice(OPTIONS[name])
    label = ", ".join(f"{k}={str(v)[:24]!r}" for k, v in request.items())
    return label, request


def _text_action(loader: str):
    def action(folder: Path, prepared: Any) -> None:
        kind, request = prepared
        if loader == "tfx":
            tokenizer = fixtures.loaded(kind, "tokenizer")
        else:
            tokenizer = _reference_tokenizer(kind)
        request = dict(request)
        text = request.pop("text")
        encoding = tokenizer(text, **request)
        ids = encoding["input_ids"]
        if isinstance(ids, list) and ids and isinstance(ids[0], int):
            tokenizer.decode(ids)

    return action


_REFERENCE: dict[str, Any] = {}


def _reference_tokenizer(kind: str) -> Any:
    if kind not in _REFERENCE:
        import transformers

        _REFERENCE[kind] = transformers.AutoTokenizer.from_pretrained(fixtures.built_folder(kind))
    return _REFERENCE[kind]


def text_case(seed: int) -> Case:
    kind = "bert" if seed % 2 else "gpt2"
    label, request = _text_request(seed)
    return Case(
        "tokenizer-text",
        seed,
        f"{kind}: {label}"[:160],
        lambda folder: (kind, request),
        _text_action("tfx"),
        _text_action("reference"),
    )
