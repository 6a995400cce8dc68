"""BERT: tfx vs transformers in one run, same weights, printing time ratios (tfx / reference).

(a) bert-base shape, batch 8 x 128, sequence classification forward
(b) bert-base shape, batch 1 x 16
(c) a tiny config, batch 1 x 8 (per-call overhead)
(d) from_pretrained of a bert-base shaped checkpoint: time (page cache warm) and peak RSS above
    the post-import baseline, as a multiple of the weights' size; each measured in a fresh
    subprocess. tfx memory-maps the weights, so their pages become resident when a forward
    first reads them: the "+forward" column shows the RSS after one short forward as well.

Forward timings alternate between the two libraries, round by round, so background load on a
shared machine hits both alike; each figure is the median of its rounds. Runs under
`torch.inference_mode()`. Usage: `python bench/bert.py [--quick]`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    num_labels=2,
)
TINY = dict(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=37,
    max_position_embeddings=64,
    num_labels=2,
)


def _save_reference(folder: Path, shape: dict) -> None:
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(transformers.BertConfig(**shape))
    model.save_pretrained(folder)


def _load_pair(folder: Path) -> tuple[torch.nn.Module, torch.nn.Module]:
    import transformers
    from tfx_plugin_bert.modeling_bert import BertForSequenceClassification

    ours = BertForSequenceClassification.from_pretrained(folder)
    reference = transformers.BertForSequenceClassification.from_pretrained(folder).eval()
    return ours, reference


def _inputs(batch: int, length: int, vocab: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {  # what a tokenizer returns for unpadded text
        "input_ids": torch.randint(1, vocab, (batch, length), generator=generator),
        "token_type_ids": torch.zeros(batch, length, dtype=torch.long),
        "attention_mask": torch.ones(batch, length, dtype=torch.long),
    }


def _time_calls(model: torch.nn.Module, inputs: dict, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        model(**inputs)
    return (time.perf_counter() - start) / calls


def compare_forward(name: str, ours, reference, inputs: dict, rounds: int, calls: int) -> float:
    with torch.inference_mode():
        diff = (ours(**inputs).logits - reference(**inputs).logits).abs().max().item()
        for model in (ours, reference):  # warm up
            _time_calls(model, inputs, max(1, calls // 2))
        mine, theirs = [], []
        for _ in range(rounds):
            mine.append(_time_calls(ours, inputs, calls))
            theirs.append(_time_calls(reference, inputs, calls))
    t_ours, t_ref = statistics.median(mine), statistics.median(theirs)
    ratio = t_ours / t_ref
    print(
        f"{name:<34} tfx {_ms(t_ours):>10}  transformers {_ms(t_ref):>10}  "
        f"ratio {ratio:.2f}x  (max |diff| {diff:.1e})"
    )
    return ratio


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


# ---------------------------------------------------------------- load time / RSS subprocess
_LOAD_SCRIPT = r"""
import json, sys, time
import torch

def rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])

library, folder, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
if library == "tfx":
    from tfx_plugin_bert.modeling_bert import BertForSequenceClassification as cls
    import tfx_core.weights, tfx_core.hub  # noqa: F401  (imported up front, like transformers)
else:
    import transformers
    from transformers import BertForSequenceClassification as cls
    transformers.logging.set_verbosity_error()
base = rss_kb("VmRSS")
times = []
start = time.perf_counter()
model = cls.from_pretrained(folder)
times.append(time.perf_counter() - start)
peak = rss_kb("VmHWM")
with torch.inference_mode():
    model(torch.ones(1, 16, dtype=torch.long))
after_forward = rss_kb("VmHWM")
del model
for _ in range(repeats):
    start = time.perf_counter()
    model = cls.from_pretrained(folder)
    times.append(time.perf_counter() - start)
    del model
print(json.dumps({"first": times[0], "warm": times[1:], "peak_kb": peak - base,
                  "forward_kb": after_forward - base}))
"""


def _load_run(library: str, folder: Path, repeats: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT, library, str(folder), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_loading(folder: Path, runs: int, repeats: int) -> tuple[float, float, float]:
    weights = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    results: dict[str, list[dict]] = {"tfx": [], "transformers": []}
    for _ in range(runs):
        for library in results:
            results[library].append(_load_run(library, folder, repeats))
    summary = {}
    for library, rows in results.items():
        warm = statistics.median(t for row in rows for t in row["warm"])
        first = statistics.median(row["first"] for row in rows)
        peak = statistics.median(row["peak_kb"] for row in rows) * 1024 / weights
        forward = statistics.median(row["forward_kb"] for row in rows) * 1024 / weights
        summary[library] = (warm, first, peak, forward)
        print(
            f"(d) from_pretrained {library:<13} warm {_ms(warm):>9}  first in process "
            f"{_ms(first):>9}  peak RSS {peak:.2f}x weights  (+forward {forward:.2f}x)"
        )
    ratio = summary["tfx"][0] / summary["transformers"][0]
    print(
        f"(d) load time ratio {ratio:.2f}x; weights {weights / 1e6:.0f} MB; "
        f"tfx peak RSS {summary['tfx'][2]:.2f}x vs {summary['transformers'][2]:.2f}x weights"
    )
    return ratio, summary["tfx"][2], summary["transformers"][2]


def main() -> None:
    quick = "--quick" in sys.argv
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base_dir, tiny_dir = Path(tmp) / "base", Path(tmp) / "tiny"
        _save_reference(base_dir, BERT_BASE)
        _save_reference(tiny_dir, TINY)
        ours, reference = _load_pair(base_dir)
        vocab = BERT_BASE["vocab_size"]
        compare_forward("(a) bert-base 8x128", ours, reference, _inputs(8, 128, vocab),
                        rounds=3 if quick else 5, calls=1)  # fmt: skip
        compare_forward("(b) bert-base 1x16", ours, reference, _inputs(1, 16, vocab),
                        rounds=5 if quick else 15, calls=5)  # fmt: skip
        del ours, reference
        ours, reference = _load_pair(tiny_dir)
        compare_forward("(c) tiny 1x8", ours, reference, _inputs(1, 8, TINY["vocab_size"]),
                        rounds=5 if quick else 15, calls=200)  # fmt: skip
        del ours, reference
        compare_loading(base_dir, runs=1 if quick else 3, repeats=3 if quick else 5)


if __name__ == "__main__":
    main()
