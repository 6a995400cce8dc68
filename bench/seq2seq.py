"""Encoder-decoder generation speed: tfx against the transformers reference, in one process.

Each case builds a reference model with random weights, saves it, loads the folder with tfx, and
generates with both (same inputs, `min_new_tokens = max_new_tokens`, so every run makes the same
number of steps); ids must be identical. Timings are medians of interleaved runs after a warm-up.

    (a) summarization: bart-base shape, 8 documents, beam 4, 128 new tokens
                                                  target: tfx tokens/s >= 1.5x the reference
    (b) translation: t5-small shape, batch 8, greedy, 128 new tokens
                                                  target: tfx tokens/s >= 1.5x the reference
    (c) tiny BART, batch 1, greedy, 64 new tokens target: tfx ms/step <= 0.33x the reference

The machine these numbers come from may be shared: the "other processes" note says how many
cores other work kept busy meanwhile; ratios taken under load are noisy. Each case therefore
also reports process CPU time per generated token with one thread (`time.process_time`,
`torch.set_num_threads(1)`, interleaved repeats): a proxy that other processes disturb less
(they still share caches and memory bandwidth).

Run: .venv/bin/python bench/seq2seq.py [--cases a,b,c] [--repeats N] [--source-length N]
     [--new-tokens N] [--quick] [--no-cpu-proxy] [--threads N]
`--new-tokens` and `--quick` (16 new tokens, 64-token sources, 3 repeats) make fewer steps
than the targets are defined for: smoke checks, not target measurements.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))
from generate import ForeignLoad

BART_BASE = dict(
    vocab_size=50265,
    d_model=768,
    encoder_layers=6,
    decoder_layers=6,
    encoder_attention_heads=12,
    decoder_attention_heads=12,
    encoder_ffn_dim=3072,
    decoder_ffn_dim=3072,
)
T5_SMALL = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8)
TINY_BART = dict(
    vocab_size=1000,
    d_model=64,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=4,
    encoder_ffn_dim=128,
    decoder_ffn_dim=128,
)

#: key -> (name, family, shape, batch, generate options, new tokens, target)
CASES = {
    "a": ("bart-base, 8 docs, beam 4", "bart", BART_BASE, 8, {"num_beams": 4}, 128, 1.5),
    "b": ("t5-small, batch 8, greedy", "t5", T5_SMALL, 8, {"num_beams": 1}, 128, 1.5),
    "c": ("tiny bart, batch 1, greedy", "bart", TINY_BART, 1, {"num_beams": 1}, 64, 0.33),
}


def build_models(family: str, shape: dict, folder: Path) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A reference model with random weights and the tfx model loaded from its saved folder."""
    import transformers

    from tfx_core import AutoModelForSeq2SeqLM

    torch.manual_seed(0)
    if family == "bart":
        config = transformers.BartConfig(**shape, max_position_embeddings=1024)
        reference = transformers.BartForConditionalGeneration(config)
    else:
        config = transformers.T5Config(**shape, decoder_start_token_id=0)
        reference = transformers.T5ForConditionalGeneration(config)
    reference.eval().save_pretrained(folder)
    return AutoModelForSeq2SeqLM.from_pretrained(folder, strict=True).eval(), reference


def timed_generate(
    model: torch.nn.Module, inputs: dict, options: dict, clock: Any = time.perf_counter
) -> tuple[float, torch.Tensor]:
    start = clock()
    with torch.no_grad():
        out = model.generate(**inputs, **options)
    return clock() - start, out


def interleaved(
    ours: torch.nn.Module,
    reference: torch.nn.Module,
    inputs: dict,
    options: dict,
    repeats: int,
    clock: Any,
) -> tuple[float, float, bool]:
    """Median seconds of tfx and of the reference (alternating runs) and whether ids matched."""
    ours_times, ref_times, identical = [], [], True
    for _ in range(repeats):  # interleaved, so machine noise hits both alike
        t_ours, out_ours = timed_generate(ours, inputs, options, clock)
        t_ref, out_ref = timed_generate(reference, inputs, options, clock)
        ours_times.append(t_ours)
        ref_times.append(t_ref)
        identical &= out_ours.shape == out_ref.shape and bool(torch.equal(out_ours, out_ref))
    return statistics.median(ours_times), statistics.median(ref_times), identical


def cpu_per_token(
    ours: torch.nn.Module, reference: torch.nn.Module, inputs: dict, options: dict, repeats: int
) -> tuple[float, float, bool]:
    """Process CPU seconds of each library's run on one thread (medians), and ids identical."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        timed_generate(ours, inputs, options)  # warm-up at this thread count
        timed_generate(reference, inputs, options)
        return interleaved(ours, reference, inputs, options, repeats, time.process_time)
    finally:
        torch.set_num_threads(threads)


def run_case(
    key: str,
    repeats: int,
    source_length: int,
    new_tokens: int | None = None,
    cpu_proxy: bool = True,
) -> dict | None:
    name, family, shape, batch, extra, default_tokens, _ = CASES[key]
    new_tokens = new_tokens or default_tokens
    try:
        __import__(f"tfx_plugin_{family}")
    except ImportError:
        print(f"({key}) {name}: skipped, tfx-plugin-{family} is not installed")
        return None
    with tempfile.TemporaryDirectory() as folder:
        ours, reference = build_models(family, shape, Path(folder))
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(4, shape["vocab_size"], (batch, source_length), generator=generator)
    mask = torch.ones_like(ids)
    mask[1::2, source_length * 3 // 4 :] = 0  # every other document shorter: padding
    inputs = {"input_ids": ids, "attention_mask": mask}
    options = dict(extra, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    timed_generate(ours, inputs, options)  # warm-up
    timed_generate(reference, inputs, options)
    with ForeignLoad() as foreign:
        t_ours, t_ref, identical = interleaved(
            ours, reference, inputs, options, repeats, time.perf_counter
        )
    tokens = batch * new_tokens
    cpu = cpu_per_token(ours, reference, inputs, options, repeats) if cpu_proxy else None
    if cpu is not None:
        identical &= cpu[2]
    return {
        "tfx_cpu_ms_token": None if cpu is None else 1000 * cpu[0] / tokens,
        "ref_cpu_ms_token": None if cpu is None else 1000 * cpu[1] / tokens,
        "name": name,
        "tfx_tok_s": tokens / t_ours,
        "ref_tok_s": tokens / t_ref,
        "tfx_ms_step": 1000 * t_ours / new_tokens,
        "ref_ms_step": 1000 * t_ref / new_tokens,
        "identical": identical,
        "foreign_cores": foreign.cores(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="a,b,c")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--source-length", type=int, default=128, help="tokens per document")
    parser.add_argument(
        "--new-tokens", type=int, default=None, help="override each case's new tokens (quick runs)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="16 new tokens, 64-token sources, 3 repeats (smoke)"
    )
    parser.add_argument(
        "--no-cpu-proxy", action="store_true", help="skip the one-thread CPU-time measurement"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads for the timed runs (default: all)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.new_tokens, args.source_length, args.repeats = 16, 64, 3
    warnings.filterwarnings("ignore")
    import transformers

    transformers.logging.set_verbosity_error()
    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"{torch.get_num_threads()} threads; source length {args.source_length}; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        + ("  (quick: fewer steps than the targets are defined for)" if args.quick else "")
    )
    for key in args.cases.split(","):
        result = run_case(
            key, args.repeats, args.source_length, args.new_tokens, not args.no_cpu_proxy
        )
        if result is None:
            continue
        target = CASES[key][-1]
        if key == "c":
            what, ratio = "ms/step ratio", result["tfx_ms_step"] / result["ref_ms_step"]
            met = ratio <= target
        else:
            what, ratio = "tokens/s ratio", result["tfx_tok_s"] / result["ref_tok_s"]
            met = ratio >= target
        print(
            f"({key}) {result['name']:28s} tfx {result['tfx_tok_s']:8.1f} tok/s "
            f"({result['tfx_ms_step']:.2f} ms/step)  reference {result['ref_tok_s']:8.1f} tok/s "
            f"({result['ref_ms_step']:.2f} ms/step)  {what} {ratio:.2f} "
            f"(target {'<=' if key == 'c' else '>='} {target}: {'met' if met else 'MISSED'})  "
            f"ids identical: {result['identical']}"
        )
        if result["tfx_cpu_ms_token"] is not None:
            print(
                f"    one thread, CPU time per token: tfx {result['tfx_cpu_ms_token']:.2f} ms, "
                f"reference {result['ref_cpu_ms_token']:.2f} ms  "
                f"(reference / tfx {result['ref_cpu_ms_token'] / result['tfx_cpu_ms_token']:.2f})"
            )
        if result["foreign_cores"] is not None:
            print(
                f"    other processes used {result['foreign_cores']:.2f} cores meanwhile "
                "(results are only meaningful near 0)"
            )


if __name__ == "__main__":
    main()
