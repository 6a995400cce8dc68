"""BERT, RoBERTa and DistilBERT on the core blocks: tfx vs transformers in one run, as ratios.

Each architecture gets no speed code of its own: the core's fused projections, lean encoder
path and `Linear` serve all three. For each: the base shape at batch 1 x 16 (latency) and a tiny
config at 1 x 8 (per-call overhead), and the base shape at 8 x 128 (throughput, printed as
reference time / tfx time), sequence classification, same weights, `inference_mode`, rounds
alternating between the libraries. Targets (issue 11): b1x16 <= 0.7x, tiny <= 0.5x, b8x128
throughput >= 1.0x.

On a shared machine wall-clock ratios move with the load, so each row reports three figures:
the median over rounds of the per-round wall-clock ratio, the same for process CPU time
(`time.process_time`: time the process ran, not time it waited), and the ratio of the two
libraries' fastest rounds in CPU time. The load average is printed before and after.
Usage: `python bench/encoders.py [--quick] [--tiny] [--threads N]` (N=1 makes CPU time a clean
proxy; `--tiny`: the tiny rows only).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, TINY

# name -> (tfx module, class prefix, config overrides); the shapes are BERT's
ARCHITECTURES = {
    "bert": ("tfx_plugin_bert.modeling_bert", "Bert", {}),
    "roberta": ("tfx_plugin_roberta.modeling_roberta", "Roberta", {"pad_token_id": 1}),
    "distilbert": ("tfx_plugin_distilbert.modeling_distilbert", "DistilBert", {}),
}
_DISTIL_NAMES = {
    "hidden_size": "dim",
    "num_hidden_layers": "n_layers",
    "num_attention_heads": "n_heads",
    "intermediate_size": "hidden_dim",
}


def _shape(name: str, shape: dict, extra: dict) -> dict:
    shape = {**shape, **extra}
    if name == "distilbert":
        shape = {_DISTIL_NAMES.get(key, key): value for key, value in shape.items()}
        shape["n_layers"] = max(1, shape["n_layers"] // 2)  # distilbert-base: 6 layers
    if name == "roberta":
        shape["max_position_embeddings"] += 2
    return shape


def _pair(name: str, folder: Path, shape: dict):
    import importlib

    import transformers

    module, prefix, extra = ARCHITECTURES[name]
    head = f"{prefix}ForSequenceClassification"
    config = getattr(transformers, f"{prefix}Config")(**_shape(name, shape, extra))
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    ours = getattr(importlib.import_module(module), head).from_pretrained(folder)
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def _inputs(name: str, batch: int, length: int, vocab: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    inputs = {
        "input_ids": torch.randint(3, vocab, (batch, length), generator=generator),
        "attention_mask": torch.ones(batch, length, dtype=torch.long),
    }
    if name != "distilbert":
        inputs["token_type_ids"] = torch.zeros(batch, length, dtype=torch.long)
    return inputs


def _timed(model, inputs: dict, calls: int) -> tuple[float, float]:
    """Seconds per call: (wall clock, process CPU time)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        model(**inputs)
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def compare(name: str, ours, reference, inputs: dict, rounds: int, calls: int) -> dict:
    """Alternating rounds; the wall and CPU ratios (see the module doc), printed and returned."""
    with torch.inference_mode():
        diff = (ours(**inputs).logits - reference(**inputs).logits).abs().max().item()
        for model in (ours, reference):  # warm up
            _timed(model, inputs, max(1, calls // 2))
        mine, theirs = [], []
        for _ in range(rounds):
            mine.append(_timed(ours, inputs, calls))
            theirs.append(_timed(reference, inputs, calls))
    result = {
        "wall": statistics.median(a[0] / b[0] for a, b in zip(mine, theirs)),
        "cpu": statistics.median(a[1] / b[1] for a, b in zip(mine, theirs)),
        "cpu_best": min(a[1] for a in mine) / min(b[1] for b in theirs),
    }
    ms = statistics.median(a[0] for a in mine) * 1e3, statistics.median(b[0] for b in theirs) * 1e3
    print(
        f"{name:<22} tfx {ms[0]:8.3f} ms  transformers {ms[1]:8.3f} ms  wall {result['wall']:.2f}x"
        f"  cpu {result['cpu']:.2f}x  cpu-best {result['cpu_best']:.2f}x  (max |diff| {diff:.1e})"
    )
    return result


def main() -> None:
    quick, tiny_only = "--quick" in sys.argv, "--tiny" in sys.argv
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rounds = 5 if quick else 15
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ARCHITECTURES:
            base = big = {"wall": float("nan"), "cpu": float("nan"), "cpu_best": float("nan")}
            if not tiny_only:
                ours, reference = _pair(name, Path(tmp) / f"{name}-base", BERT_BASE)
                inputs = _inputs(name, 1, 16, BERT_BASE["vocab_size"])
                base = compare(f"{name} base 1x16", ours, reference, inputs, rounds, calls=5)
                inputs = _inputs(name, 8, 128, BERT_BASE["vocab_size"])
                big = compare(f"{name} base 8x128", ours, reference, inputs, rounds, calls=1)
                del ours, reference
            ours, reference = _pair(name, Path(tmp) / f"{name}-tiny", TINY)
            inputs = _inputs(name, 1, 8, TINY["vocab_size"])
            tiny = compare(f"{name} tiny 1x8", ours, reference, inputs, rounds, calls=200)
            results[name] = (base, tiny, big)
    print(f"load average {os.getloadavg()[0]:.1f}; ratios tfx/transformers (wall / cpu / cpu-best)")
    for name, (base, tiny, big) in results.items():
        print(
            f"{name:<11} b1x16 {base['wall']:.2f} / {base['cpu']:.2f} / {base['cpu_best']:.2f}x "
            f"(target <= 0.7x)   tiny {tiny['wall']:.2f} / {tiny['cpu']:.2f} / "
            f"{tiny['cpu_best']:.2f}x (target <= 0.5x)   b8x128 throughput "
            f"{1 / big['wall']:.2f} / {1 / big['cpu']:.2f} / {1 / big['cpu_best']:.2f}x "
            "(target >= 1.0x)"
        )


if __name__ == "__main__":
    main()
