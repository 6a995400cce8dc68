"""Run corpora: in this process (the fast slice) or in crash-isolated worker processes (the long
run), where a worker that dies or stalls marks its case `crash` or `hang` and a new worker
continues with the next seed."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tfx_fuzz.harness import Result, run_case

CORPORA = {
    "config": ("tfx_fuzz.corpus_config", "case"),
    "safetensors": ("tfx_fuzz.corpus_safetensors", "case"),
    "tokenizer-files": ("tfx_fuzz.corpus_tokenizer", "files_case"),
    "tokenizer-text": ("tfx_fuzz.corpus_tokenizer", "text_case"),
    "requests": ("tfx_fuzz.corpus_requests", "case"),
    "safetensors-tf": ("tfx_fuzz.corpus_frameworks", "tf_case", "warm_up_tf"),
    "safetensors-flax": ("tfx_fuzz.corpus_frameworks", "flax_case", "warm_up_flax"),
}

HERE = Path(__file__).resolve().parent.parent


def make_case(corpus: str, seed: int):
    module, function = CORPORA[corpus][:2]
    return getattr(importlib.import_module(module), function)(seed)


def warm_up(corpus: str, side: str) -> None:
    """Let a corpus load what its cases share (pipelines, models) outside the time limits."""
    module = importlib.import_module(CORPORA[corpus][0])
    name = CORPORA[corpus][2] if len(CORPORA[corpus]) > 2 else "warm_up"
    if hasattr(module, name):
        getattr(module, name)(side)


def run_inline(corpus: str, seeds, *, side: str = "tfx") -> list[Result]:
    warm_up(corpus, side)
    results = []
    for seed in seeds:
        case = make_case(corpus, seed)
        if side == "reference" and case.reference is None:
            continue
        results.append(run_case(case, side=side))
    return results


#: The reference runs PyTorch only (TensorFlow / JAX may be installed for tfx's own suites).
REFERENCE_ENV = {"USE_TF": "0", "USE_FLAX": "0", "USE_JAX": "0", "USE_TORCH": "1"}


def warm_up_reference() -> None:
    """Import the reference outside the cases' time limits."""
    os.environ.update(REFERENCE_ENV)
    import transformers

    transformers.logging.set_verbosity_error()
    for name in ("AutoConfig", "AutoModelForMaskedLM", "AutoModelForCausalLM", "AutoTokenizer"):
        getattr(transformers, name)
    from transformers import pipeline  # noqa: F401
    from transformers.pipelines import fill_mask, question_answering, text_generation  # noqa: F401


def worker_main(corpus: str, side: str, seeds: list[int]) -> None:
    """Worker process: one JSON line per case on stdout ("start" before, result after)."""
    import resource

    limit = 12 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if side == "reference":
        warm_up_reference()
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the code under test prints stays off the protocol
    warm_up(corpus, side)
    for seed in seeds:
        case = make_case(corpus, seed)
        if side == "reference" and case.reference is None:
            continue
        out.write(json.dumps({"start": seed, "label": case.label}) + "\n")
        out.flush()
        result = run_case(case, side=side)
        out.write(json.dumps(result.to_dict()) + "\n")
        out.flush()


def run_isolated(
    corpus: str, seeds: list[int], *, side: str = "tfx", stall: float = 120.0
) -> list[Result]:
    """Run in worker processes; a dead or stalled worker gives `crash` / `hang`."""
    results: list[Result] = []
    pending = list(seeds)
    env = {**os.environ, **REFERENCE_ENV, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(HERE)}
    while pending:
        command = [sys.executable, "-m", "tfx_fuzz.runner", corpus, side, *map(str, pending)]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        current: dict | None = None
        done: set[int] = set()
        os.set_blocking(proc.stdout.fileno(), False)
        buffer, last = "", time.monotonic()
        while True:
            chunk = proc.stdout.read()
            if chunk:
                buffer += chunk.decode("utf-8", errors="replace")
                last = time.monotonic()
                *lines, buffer = buffer.split("\n")
                for line in lines:
                    message = json.loads(line)
                    if "start" in message:
                        current = message
                    else:
                        results.append(Result(**message))
                        done.add(message["seed"])
                        current = None
            elif proc.poll() is not None:
                break
            elif time.monotonic() - last > stall:
                proc.kill()
                proc.wait()
                break
            else:
                time.sleep(0.05)
        pending = [s for s in pending if s not in done]
        if current is not None:
            outcome = "hang" if proc.returncode == -9 else "crash"
            results.append(
                Result(
                    corpus,
                    current["start"],
                    current["label"],
                    outcome,
                    f"worker exit code {proc.returncode}",
                    side=side,
                )
            )
            pending.remove(current["start"])
        elif pending and proc.returncode not in (0, None):
            raise RuntimeError(f"worker failed before a case (exit {proc.returncode})")
    return results


if __name__ == "__main__":
    worker_main(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]])
