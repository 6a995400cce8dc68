"""Greedy decoding of a Llama-shaped LLM: tfx against transformers, bf16 and fp32, batch 1 and 8.

The model (SHAPE: hidden 1024, 24 layers, 16 query / 4 key-value heads (GQA), SwiGLU 2816,
vocab 32000, untied head: 0.34B parameters) gets random weights, saved once in bf16 (as
checkpoints ship) to a temporary folder; both libraries load that folder with
`from_pretrained(..., dtype)` and generate NEW_TOKENS tokens greedily (min = max, so both run
every step) from the same prompt. Timings are interleaved in one process (a warm-up first,
then the median of --repeats); the table prints tokens/s of each library, their ratio
(tfx / reference) and whether the ids are identical.

Memory-bandwidth bound: a one-token step reads every weight once (batch rows share the read),
so no step can beat `weight bytes / bandwidth`; the bandwidth is measured here with a large
torch copy (bytes read + written per second). `bound` is the fraction of that limit tfx
reaches (`ref bound`: the reference's). In bf16, tfx's decode steps multiply through weights
laid out once for oneDNN (a second copy in memory while decoding, see `onednn.decode_linear`),
on transparent huge pages (`onednn.huge_pages`; the reference's weights stay on 4 KiB pages).

Load: each library loads the bf16 checkpoint as bf16 in a fresh subprocess; its peak RSS above
the process's baseline is printed next to the checkpoint's size (an fp32 copy would show
about 3x). Numbers taken on a busy machine are noisy: compare ratios measured in the same run.

Run: .venv/bin/python bench/llm.py [--dtypes fp32,bf16] [--batches 1,8] [--new-tokens 128]
     [--layers 24] [--repeats 1] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

os.environ.setdefault("USE_TF", "0")  # transformers: torch only (no TensorFlow import)
os.environ.setdefault("USE_FLAX", "0")
PROMPT = 16
SHAPE = dict(
    hidden_size=1024,
    num_hidden_layers=24,
    num_attention_heads=16,
    num_key_value_heads=4,
    intermediate_size=2816,
    vocab_size=32000,
    max_position_embeddings=2048,
    tie_word_embeddings=False,
    bos_token_id=1,
    eos_token_id=2,
)
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def save_checkpoint(folder: Path, layers: int) -> int:
    """Random Llama weights saved in bf16 by the reference; returns the parameter count."""
    import transformers

    config = transformers.LlamaConfig(**dict(SHAPE, num_hidden_layers=layers))
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True)
    return sum(parameter.numel() for parameter in model.parameters())


def load(library: str, folder: Path, dtype: torch.dtype) -> torch.nn.Module:
    if library == "tfx":
        from tfx_core import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).eval()
    import transformers

    return transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).eval()


def stream_bandwidth(gib: float = 1.0, repeats: int = 5) -> float:
    """Bytes per second of a large tensor copy (each byte read once and written once)."""
    source = torch.ones(int(gib * 2**30) // 4, dtype=torch.float32)
    target = torch.empty_like(source)
    target.copy_(source)  # touch the pages
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        target.copy_(source)
        times.append(time.perf_counter() - start)
    return 2 * source.numel() * 4 / min(times)


def generate(model: torch.nn.Module, prompt: torch.Tensor, new_tokens: int) -> tuple:
    start = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            pad_token_id=0,
        )
    return time.perf_counter() - start, out


def weight_bytes(model: torch.nn.Module) -> int:
    """Bytes a one-token step reads: every parameter but the input embedding table (one row)."""
    embedding = model.get_input_embeddings().weight
    return sum(p.numel() * p.element_size() for p in model.parameters() if p is not embedding)


def compare(folder: Path, dtype_name: str, batch: int, args: argparse.Namespace, bw: float) -> None:
    dtype = DTYPES[dtype_name]
    models = {name: load(name, folder, dtype) for name in ("tfx", "ref")}
    prompt = torch.randint(
        3, SHAPE["vocab_size"], (batch, PROMPT), generator=torch.Generator().manual_seed(1)
    )
    for model in models.values():
        generate(model, prompt, 4)  # warm-up
    times: dict[str, list[float]] = {"tfx": [], "ref": []}
    outputs = {}
    for _ in range(args.repeats):
        for name, model in models.items():
            seconds, outputs[name] = generate(model, prompt, args.new_tokens)
            times[name].append(seconds)
    rates = {k: batch * args.new_tokens / statistics.median(v) for k, v in times.items()}
    steps_bound = bw / weight_bytes(models["tfx"])  # steps/s if only weight reads counted
    fraction, ref_fraction = (rates[k] / batch / steps_bound for k in ("tfx", "ref"))
    same = "yes" if torch.equal(outputs["tfx"], outputs["ref"]) else "no"
    print(
        f"{dtype_name:<6}{batch:>6}{rates['tfx']:>11.1f}{rates['ref']:>11.1f}"
        f"{rates['tfx'] / rates['ref']:>8.2f}{fraction:>9.1%}{ref_fraction:>11.1%}{same:>10}",
        flush=True,
    )


def peak_load_rss(library: str, folder: Path) -> int:
    """Peak RSS growth (bytes) of a fresh process loading `folder` in bf16 with `library`: the
    high-water mark is reset (`/proc/self/clear_refs`) after the imports, read after the load."""
    code = f"""
import json, sys, torch
from pathlib import Path
sys.path.insert(0, "bench")
import llm, transformers, tfx_core.modeling.torch

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset VmHWM to the current RSS
model = llm.load({library!r}, Path({str(folder)!r}), torch.bfloat16)
assert next(model.parameters()).dtype == torch.bfloat16
print(json.dumps(status("VmHWM:") - before))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return int(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="fp32,bf16")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--layers", type=int, default=SHAPE["num_hidden_layers"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--skip-load", action="store_true", help="no peak-RSS load probe")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parameters = save_checkpoint(folder, args.layers)
        bw = stream_bandwidth()
        shape = dict(SHAPE, num_hidden_layers=args.layers)
        print(f"Llama-shaped, {parameters / 1e9:.2f}B parameters: {shape}")
        print(
            f"greedy {args.new_tokens} new tokens after {PROMPT}; {torch.get_num_threads()} "
            f"threads; copy bandwidth {bw / 1e9:.1f} GB/s; transformers {transformers.__version__}"
        )
        print(
            f"{'dtype':<6}{'batch':>6}{'tfx tok/s':>11}{'ref tok/s':>11}{'ratio':>8}"
            f"{'bound':>9}{'ref bound':>11}{'same ids':>10}"
        )
        for dtype_name in args.dtypes.split(","):
            for batch in (int(b) for b in args.batches.split(",")):
                compare(folder, dtype_name, batch, args, bw)
        if not args.skip_load:
            size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
            print(f"bf16 load, peak RSS growth (checkpoint {size / 2**20:.0f} MiB):", end="")
            for library in ("tfx", "ref"):
                print(f"  {library} {peak_load_rss(library, folder) / 2**20:.0f} MiB", end="")
            print()


if __name__ == "__main__":
    main()
