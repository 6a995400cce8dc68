"""Kill -9 at random moments during saves; the target must then hold the previous complete
state or the new complete state, never a mix or a half-written file.

Each trial saves state A into the target, forks a child that saves state B into it over and
over, and kills the child after a random delay (so the kill lands anywhere in a save: writing
tensors, fsync, carry-over, the swap, the cleanup). The parent then loads the target and
fingerprints it. Forking (instead of starting Python) keeps a trial to milliseconds; the saved
objects are built before the fork, so the child only writes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfx_fuzz import fixtures


@dataclass
class KillResult:
    kind: str
    seed: int
    state: str  # "old" | "new" | "broken"
    detail: str = ""
    leftovers_after_next_save: int = 0


def _model_pair() -> tuple[Any, Any]:
    import torch
    from tfx_plugin_bert.configuration_bert import BertConfig
    from tfx_plugin_bert.modeling_bert import BertForMaskedLM

    fields = {**fixtures.BERT_CONFIG, "vocab_size": 2000, "hidden_size": 64, "num_hidden_layers": 4}
    fields["intermediate_size"] = 128
    models = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        models.append(BertForMaskedLM(BertConfig(**fields)).eval())
    return models[0], models[1]


def _tokenizer_pair() -> tuple[Any, Any]:
    from tfx_core import AutoTokenizer

    old = AutoTokenizer.from_pretrained(fixtures.built_folder("bert"))
    new = AutoTokenizer.from_pretrained(fixtures.built_folder("bert"))
    new.model_max_length = 128
    new.add_tokens(["[NEW_TOKEN]"])
    return old, new


def _fingerprint_model(folder: Path) -> str:
    from tfx_core import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(folder, strict=True)
    weight = model.bert.embeddings.word_embeddings.weight
    return f"{float(weight[7, 3].detach()):.6f}/{model.config.num_hidden_layers}"


def _fingerprint_tokenizer(folder: Path) -> str:
    from tfx_core import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    backend = json.loads((folder / "tokenizer.json").read_text())
    in_backend = any(t["content"] == "[NEW_TOKEN]" for t in backend["added_tokens"])
    in_config = any(t["content"] == "[NEW_TOKEN]" for t in config["added_tokens_decoder"].values())
    if in_backend != in_config or (config["model_max_length"] == 128) != in_config:
        raise AssertionError(
            f"files from different saves: tokenizer.json new={in_backend}, "
            f"tokenizer_config.json new={in_config}, model_max_length={config['model_max_length']}"
        )
    return f"{tokenizer.model_max_length}/{len(tokenizer)}"


KINDS = {
    "model": (_model_pair, _fingerprint_model),
    "tokenizer": (_tokenizer_pair, _fingerprint_tokenizer),
}


def _leftovers(folder: Path) -> list[str]:
    inside = [p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.startswith(".tfx-")]
    beside = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".tfx-{folder.name}.")]
    return inside + beside


def kill_trial(kind: str, seed: int, pair: tuple[Any, Any], expected: dict[str, str]) -> KillResult:
    old, new = pair
    _, fingerprint = KINDS[kind]
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="tfx-kill-"))
    target = root / "target"
    try:
        if kind == "tokenizer":  # a tokenizer saved into a model folder must keep the model
            fixtures.copy_checkpoint("bert", target)
        old.save_pretrained(target)
        delay = rng.uniform(0.0, expected["save_seconds"] * 3)
        pid = os.fork()
        if pid == 0:  # child: save the new state again and again until killed
            try:
                for _ in range(1000):
                    new.save_pretrained(target)
            finally:
                os._exit(0)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            found = fingerprint(target)
        except Exception as exc:
            return KillResult(kind, seed, "broken", f"{type(exc).__name__}: {exc}"[:300])
        if kind == "tokenizer" and not (target / "model.safetensors").is_file():
            return KillResult(kind, seed, "broken", "the model weights beside it are gone")
        state = {expected["old"]: "old", expected["new"]: "new"}.get(found, "broken")
        result = KillResult(kind, seed, state, "" if state != "broken" else f"found {found}")
        new.save_pretrained(target)  # a later save cleans what the killed one left
        result.leftovers_after_next_save = len(_leftovers(target))
        if result.leftovers_after_next_save and state != "broken":
            result.state = "broken"
            result.detail = f"temporary files left after the next save: {_leftovers(target)}"
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def prepare(kind: str) -> tuple[tuple[Any, Any], dict[str, Any]]:
    """The two states and their fingerprints, and how long one save takes."""
    make, fingerprint = KINDS[kind]
    pair = make()
    expected: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, obj in zip(("old", "new"), pair):
            folder = Path(tmp) / name
            if kind == "tokenizer":
                fixtures.copy_checkpoint("bert", folder)
            start = time.perf_counter()
            obj.save_pretrained(folder)
            expected["save_seconds"] = time.perf_counter() - start
            expected[name] = fingerprint(folder)
    return pair, expected


def run_kills(kind: str, seeds: range) -> list[KillResult]:
    pair, expected = prepare(kind)
    return [kill_trial(kind, seed, pair, expected) for seed in seeds]


def summary(results: list[KillResult]) -> str:
    lines = ["| save | kills | previous state | new state | broken |", "|---|---|---|---|---|"]
    by_kind: dict[str, Counter] = {}
    for result in results:
        by_kind.setdefault(result.kind, Counter())[result.state] += 1
    for kind, counts in sorted(by_kind.items()):
        total = sum(counts.values())
        lines.append(
            f"| {kind} | {total} | {counts['old']} | {counts['new']} | {counts['broken']} |"
        )
    return "\n".join(lines)
