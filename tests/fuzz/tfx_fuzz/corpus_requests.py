"""Requests corpus: every pipeline and `generate` called with empty, None, wrong-typed,
negative, huge or contradictory arguments, on tiny models loaded once per process."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tfx_fuzz import fixtures
from tfx_fuzz.harness import Case

BAD = [None, "", -1, 0, 10**9, "x", 2.5, [], {}, True, float("nan")]

TEXTS = ["hello world", "", "   ", None, 5, [], ["the cat", ""], ["a", 3], "a " * 5000, {"x": 1}]

PIPELINE_REQUESTS: dict[str, dict[str, list[Any]]] = {
    "fill-mask": {
        "inputs": [*TEXTS, "no mask here", "[MASK] and [MASK]", "the [MASK] runs"],
        "top_k": [0, -1, 1, 10**6, "3", 2.5, None],
        "targets": [[], ["zzz"], "cat", [1], ["cat", "dog"], ""],
    },
    "text-classification": {
        "inputs": [*TEXTS, {"text": "a", "text_pair": "b"}, {"text": 1}, [["a", "b"]]],
        "top_k": [0, -1, 1, 10**6, "x", None],
        "function_to_apply": ["nope", "softmax", "none", 1],
    },
    "token-classification": {
        "inputs": TEXTS,
        "aggregation_strategy": ["nope", "simple", "first", "max", "average", 1],
        "ignore_labels": [5, ["O"], None, "O"],
        "stride": [-1, 0, 1, 10**6, "x"],
    },
    "question-answering": {
        "question": ["who runs?", "", None, 5, ["a", "b"]],
        "context": ["the cat runs in the house", "", None, 3, ["x"]],
        "top_k": [0, -1, 1, 10**6, "2"],
        "max_answer_len": [0, -1, 10**6, "x"],
        "doc_stride": [-1, 0, 10**6, "x"],
        "max_seq_len": [0, -1, 1, 3, 10**9, "x"],
        "handle_impossible_answer": ["x", True],
    },
    "zero-shot-classification": {
        "inputs": TEXTS,
        "candidate_labels": [[], None, "", [1], ["cat", "dog"], "cat,dog", [""], ["a"] * 50],
        "hypothesis_template": [
            "no placeholder",
            "{}{}",
            "{0.__class__}",
            "{x}",
            "{",
            "This is {}.",
            1,
            "",
        ],
        "multi_label": ["x", True, 1],
    },
    "feature-extraction": {
        "inputs": TEXTS,
        "truncation": ["x", True, 5],
        "tokenize_kwargs": [{"max_length": -1}, {"bogus": 1}, "x", {"padding": "nope"}],
        "return_tensors": ["x", True],
    },
    "text-generation": {
        "inputs": [
            *TEXTS,
            [{"role": "user", "content": "hi"}],
            [{"role": 1, "content": None}],
            [{"content": "x"}],
        ],
        "max_new_tokens": [0, -1, 10**9, "5", 2.5, 3],
        "return_full_text": ["x", False],
        "num_return_sequences": [0, -1, 10**6],
        "do_sample": ["yes", True],
        "temperature": [0, -1, float("nan"), float("inf")],
        "bogus_option": [1],
    },
}

PIPELINE_FOLDERS = {
    "fill-mask": "bert",
    "text-classification": "bert-nli",
    "token-classification": "bert-ner",
    "question-answering": "bert-qa",
    "zero-shot-classification": "bert-nli",
    "feature-extraction": "bert",
    "text-generation": "gpt2",
}

CONSTRUCTION = {
    "task": [None, 5, "nope", "", ["fill-mask"]],
    "device": ["gpu:9", -5, "x", 1.5, True, {"a": 1}],
    "batch_size": [0, -1, "x", 10**9, 2.5],
    "dtype": ["float99", 5, "torch.int8", "int64"],
    "framework": ["x", 1, "TF", "pytorch"],
    "model": [5, "", "/definitely/not/here", "not a valid id!!", b"bytes"],
    "local_files_only": [True, "x"],
    "trust_remote_code": [True, False],
    "revision": [5, "no-such-revision"],
    "bogus_kwarg": [1],
}

GENERATE = {
    "input_ids": ["empty", "float", "negative", "too_big", "3d", "list", "string", None, "long"],
    "attention_mask": ["wrong_shape", "float", "zeros", "string"],
    "max_new_tokens": [0, -1, 10**9, "5", 2.5, None],
    "max_length": [0, -1, 1, 10**9, "x"],
    "min_length": [10**6, -1, "x"],
    "min_new_tokens": [10**6, -1],
    "num_beams": [0, -1, 1000, "2", 2.5],
    "num_return_sequences": [0, -1, 5, 10**6],
    "do_sample": ["yes", True, None],
    "temperature": [0, -1.0, float("nan"), float("inf"), "hot"],
    "top_k": [-1, "x", 10**9, 0],
    "top_p": [0, 1.5, -0.1, float("nan"), "x"],
    "repetition_penalty": [0, -1, float("nan"), "x"],
    "no_repeat_ngram_size": [-1, 10**6, "x"],
    "eos_token_id": ["x", -5, [], [1, "a"], 10**9],
    "pad_token_id": ["x", -5, 10**9],
    "streamer": ["junk", 5, object(), "obj_without_end"],
    "logits_processor": ["x", [1], 5, [None]],
    "stopping_criteria": ["x", [1], 5],
    "seed": ["x", -1, 2**70, 1.5, [1]],
    "generator": ["x", 5],
    "stop_strings": [["the"], 5, [""], [1]],
    "generation_config": ["x", 5, {"max_new_tokens": 2}],
    "max_new_tokenz": [3],
    "use_cache": ["x", False],
    "return_dict_in_generate": ["x", True],
    "output_scores": [True],
    "bad_words_ids": [[[]], "x", [[10**9]], [["a"]]],
    "length_penalty": [float("nan"), "x"],
    "early_stopping": ["never", "x"],
}

_PIPELINES: dict[tuple[str, str], Any] = {}


def warm_up(side: str) -> None:
    """Build the pipelines and load the model once, outside the cases' time limits."""
    for task in PIPELINE_REQUESTS:
        _pipeline(task, side)
    if side == "tfx":
        fixtures.loaded("gpt2", "model")
    else:
        _reference_gpt2()


def _pipeline(task: str, side: str) -> Any:
    key = (task, side)
    if key not in _PIPELINES:
        folder = str(fixtures.built_folder(PIPELINE_FOLDERS[task]))
        if side == "tfx":
            from tfx_core import pipeline
        else:
            from transformers import pipeline
        _PIPELINES[key] = pipeline(task, model=folder)
    return _PIPELINES[key]


def _generate_inputs(rng: random.Random, name: str, model_side: str) -> dict[str, Any]:
    import torch

    request: dict[str, Any] = {}
    ids = torch.tensor([[5, 6, 7, 8]])
    kind = name if name in GENERATE["input_ids"] else "normal"
    table = {
        "normal": ids,
        "empty": torch.zeros((1, 0), dtype=torch.long),
        "float": ids.float(),
        "negative": -ids,
        "too_big": ids + 10**6,
        "3d": ids[None],
        "list": [[5, 6, 7]],
        "string": "hello",
        None: None,
        "long": torch.randint(0, 50, (1, 200), generator=torch.Generator().manual_seed(0)),
    }
    request["input_ids"] = table[kind]
    return request


def _generate_request(seed: int) -> tuple[str, dict[str, Any], str]:
    rng = random.Random(seed)
    input_kind = rng.choice([*GENERATE["input_ids"], "normal", "normal", "normal"])
    options: dict[str, Any] = {}
    for name in rng.sample(sorted(set(GENERATE) - {"input_ids"}), rng.choice([1, 1, 2, 3])):
        options[name] = rng.choice(GENERATE[name])
    options.setdefault("max_new_tokens", 3)
    label = f"input_ids={input_kind}, " + ", ".join(
        f"{k}={str(v)[:20]!r}" for k, v in options.items()
    )
    return label, options, input_kind


def _materialize(value: Any, side: str) -> Any:
    if value == "obj_without_end":

        class HalfStreamer:
            def put(self, value: Any) -> None:
                pass

        return HalfStreamer()
    return value


def _generate_action(side: str):
    def action(folder: Path, prepared: Any) -> None:
        import torch

        options, input_kind = prepared
        if side == "tfx":
            model = fixtures.loaded("gpt2", "model")
        else:
            model = _reference_gpt2()
        request = _generate_inputs(random.Random(0), input_kind, side)
        request.update({k: _materialize(v, side) for k, v in options.items()})
        if side == "tfx" and request.get("input_ids") is not None and input_kind != "string":
            pass
        if request.get("attention_mask") in GENERATE["attention_mask"]:
            shape = {"wrong_shape": (2, 9), "float": None, "zeros": None, "string": None}
            kind = request["attention_mask"]
            base = request.get("input_ids")
            if kind == "string":
                request["attention_mask"] = "ones"
            elif isinstance(base, torch.Tensor) and base.dim() == 2:
                size = shape.get(kind) or tuple(base.shape)
                mask = torch.ones(size, dtype=torch.long)
                request["attention_mask"] = (
                    mask.float() if kind == "float" else mask * 0 if kind == "zeros" else mask
                )
            else:
                request.pop("attention_mask")
        with torch.no_grad():
            model.generate(**request)

    return action


_REFERENCE_MODELS: dict[str, Any] = {}


def _reference_gpt2() -> Any:
    if "gpt2" not in _REFERENCE_MODELS:
        import transformers

        _REFERENCE_MODELS["gpt2"] = transformers.AutoModelForCausalLM.from_pretrained(
            fixtures.built_folder("gpt2")
        ).eval()
    return _REFERENCE_MODELS["gpt2"]


def _pipeline_request(seed: int) -> tuple[str, str, dict[str, Any]]:
    rng = random.Random(seed)
    task = rng.choice(sorted(PIPELINE_REQUESTS))
    table = PIPELINE_REQUESTS[task]
    request = {}
    first = "question" if task == "question-answering" else "inputs"
    request[first] = rng.choice(table[first])
    if task == "question-answering":
        request["context"] = rng.choice(table["context"])
    others = sorted(set(table) - {"inputs", "question", "context"})
    for name in rng.sample(others, min(len(others), rng.choice([0, 1, 1, 2]))):
        request[name] = rng.choice(table[name])
    label = f"{task}: " + ", ".join(f"{k}={str(v)[:20]!r}" for k, v in request.items())
    return task, label, request


def _pipeline_action(side: str):
    def action(folder: Path, prepared: Any) -> None:
        task, request = prepared
        pipe = _pipeline(task, side)
        request = dict(request)
        if task == "question-answering":
            pipe(**request)
        else:
            inputs = request.pop("inputs")
            pipe(inputs, **request)

    return action


def _construction_request(seed: int) -> tuple[str, dict[str, Any]]:
    rng = random.Random(seed)
    request: dict[str, Any] = {"task": "fill-mask", "model": "<bert>"}
    for name in rng.sample(sorted(CONSTRUCTION), rng.choice([1, 1, 2])):
        request[name] = rng.choice(CONSTRUCTION[name])
    label = "pipeline(" + ", ".join(f"{k}={str(v)[:20]!r}" for k, v in request.items()) + ")"
    return label, request


def _construction_action(side: str):
    def action(folder: Path, prepared: dict[str, Any]) -> None:
        request = dict(prepared)
        if request.get("model") == "<bert>":
            request["model"] = str(fixtures.built_folder("bert"))
        if side == "tfx":
            from tfx_core import pipeline
        else:
            from transformers import pipeline
        task = request.pop("task")
        pipe = pipeline(task, **request)
        pipe("the [MASK] runs")

    return action


def case(seed: int) -> Case:
    """Generate requests (40%), pipeline calls (45%), pipeline construction (15%)."""
    roll = random.Random(seed * 7919).random()
    if roll < 0.4:
        label, options, input_kind = _generate_request(seed)
        return Case(
            "requests",
            seed,
            f"generate({label})"[:160],
            lambda folder: (options, input_kind),
            _generate_action("tfx"),
            _generate_action("reference"),
            timeout=60,
        )
    if roll < 0.85:
        task, label, request = _pipeline_request(seed)
        return Case(
            "requests",
            seed,
            label[:160],
            lambda folder: (task, request),
            _pipeline_action("tfx"),
            _pipeline_action("reference"),
            timeout=60,
        )
    label, request = _construction_request(seed)
    return Case(
        "requests",
        seed,
        label[:160],
        lambda folder: request,
        _construction_action("tfx"),
        _construction_action("reference"),
        timeout=60,
    )
