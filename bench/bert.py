"""BERT: tfx against transformers on the same weights, in one run, printed as ratios.

(a) bert-base shape, batch 8 x 128, sequence classification forward (throughput)
(b) bert-base shape, batch 1 x 16 (latency)
(c) tiny config, batch 1 x 8 (per-call overhead)
(d) from_pretrained of a bert-base shaped checkpoint: warm load time and peak RSS over weights

Run: .venv/bin/python bench/bert.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tfx_plugin_bert.modeling_bert as tfx_bert
import torch
import transformers

BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=512, num_labels=2)  # fmt: skip
TINY = dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=64, max_position_embeddings=64, num_labels=2)  # fmt: skip


def timed(fn, repeats: int, warmup: int = 2) -> float:
    """Median seconds of `fn()` over `repeats` runs after `warmup`."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def pair(folder: Path):
    reference = transformers.BertForSequenceClassification.from_pretrained(folder).eval()
    ours = tfx_bert.BertForSequenceClassification.from_pretrained(folder).eval()
    return reference, ours


def forward_case(name: str, folder: Path, batch: int, length: int, repeats: int) -> None:
    reference, ours = pair(folder)
    ids = torch.randint(0, reference.config.vocab_size, (batch, length))
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        diff = reference(ids, attention_mask=mask).logits - ours(ids, attention_mask=mask).logits
        t_ref = timed(lambda: reference(ids, attention_mask=mask), repeats)
        t_ours = timed(lambda: ours(ids, attention_mask=mask), repeats)
    print(f"({name}) batch {batch} x {length}: reference {t_ref * 1e3:9.2f} ms   tfx "
          f"{t_ours * 1e3:9.2f} ms   tfx/ref latency {t_ours / t_ref:5.2f}x   "
          f"speedup {t_ref / t_ours:5.2f}x   max|diff| {diff.abs().max():.1e}")  # fmt: skip


_LOAD_SNIPPET = """
import json, resource, sys, time, torch
which, folder = sys.argv[1], sys.argv[2]
if which == "tfx":
    from tfx_plugin_bert.modeling_bert import BertForSequenceClassification as cls
    load = lambda: cls.from_pretrained(folder)
else:
    import transformers
    load = lambda: transformers.BertForSequenceClassification.from_pretrained(folder)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
before = rss()
start = time.perf_counter(); model = load(); cold = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
del model
warm = []
for _ in range(3):
    start = time.perf_counter(); model = load(); warm.append(time.perf_counter() - start); del model
print(json.dumps({"cold": cold, "warm": sorted(warm)[1], "peak_over_start": peak - before}))
"""


def load_case(folder: Path) -> None:
    weights = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    results = {}
    for which in ("reference", "tfx"):
        out = subprocess.run([sys.executable, "-c", _LOAD_SNIPPET, which, str(folder)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        results[which] = json.loads(out.stdout.strip().splitlines()[-1])
    ref, ours = results["reference"], results["tfx"]
    print(f"(d) from_pretrained warm: reference {ref['warm'] * 1e3:7.1f} ms   tfx "
          f"{ours['warm'] * 1e3:7.1f} ms   tfx/ref {ours['warm'] / ref['warm']:5.2f}x")  # fmt: skip
    print(
        f"    peak RSS growth / weights ({weights / 1e6:.0f} MB): reference "
        f"{ref['peak_over_start'] / weights:4.2f}x   tfx {ours['peak_over_start'] / weights:4.2f}x"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        base, tiny = Path(tmp) / "base", Path(tmp) / "tiny"
        transformers.BertForSequenceClassification(transformers.BertConfig(**BASE)).save_pretrained(
            base
        )
        transformers.BertForSequenceClassification(transformers.BertConfig(**TINY)).save_pretrained(
            tiny
        )
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        forward_case("a", base, 8, 128, 3 if quick else 5)
        forward_case("b", base, 1, 16, 10 if quick else 30)
        forward_case("c", tiny, 1, 8, 100 if quick else 500)
        load_case(base)


if __name__ == "__main__":
    main()
