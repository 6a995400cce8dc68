"""Kill -9 during training with a checkpoint every step: every `checkpoint-N` left behind must
be complete (model loads strictly, optimizer / scheduler / RNG states load, trainer_state.json
says step N), no partial checkpoint is visible, and resuming cleans the killed save's temp
folder and continues. The trainer runs in a fresh Python process (forking a process that has
run torch's thread pools can hang), so a trial takes seconds: this runs in `make fuzz` only."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfx_fuzz import fixtures
from tfx_fuzz.kills import KillResult

CHILD = r"""
import sys, torch
from tfx_core import AutoModelForMaskedLM
from tfx_core.training import Trainer, TrainingArguments

model_dir, output_dir, resume, steps = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
torch.manual_seed(0)
model = AutoModelForMaskedLM.from_pretrained(model_dir)
data = [{"input_ids": torch.tensor([2, 5 + i % 20, 6, 3]), "labels": torch.tensor([-100, 7, 8, -100])}
        for i in range(64)]
args = TrainingArguments(output_dir, max_steps=steps, save_steps=1, logging_steps=1000,
                         per_device_train_batch_size=4, save_total_limit=3, seed=0)
trainer = Trainer(model=model, args=args, train_dataset=data)
print("ready", flush=True)
trainer.train(resume_from_checkpoint=True if resume else None)
print("done", flush=True)
"""


def _check_checkpoint(path: Path) -> str | None:
    import torch

    from tfx_core import AutoModelForMaskedLM

    try:
        AutoModelForMaskedLM.from_pretrained(path, strict=True)
        for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
            torch.load(path / name, weights_only=True)
        state = json.loads((path / "trainer_state.json").read_text())
        step = int(path.name.split("-")[1])
        if state["global_step"] != step:
            return f"{path.name}: trainer_state.json says step {state['global_step']}"
    except Exception as exc:
        return f"{path.name}: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def kill_training_trial(seed: int, script: Path, env: dict[str, str]) -> KillResult:
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="tfx-train-kill-"))
    output = root / "run"
    model_dir = fixtures.built_folder("bert")
    try:
        command = [sys.executable, str(script), str(model_dir), str(output), "0", "400"]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        proc.stdout.readline()  # "ready": imports and model loading are done
        deadline = time.monotonic() + 120
        while not (output / "checkpoint-1").exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # kill once checkpoints are being written
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        checkpoints = sorted(output.glob("checkpoint-*")) if output.exists() else []
        problems = [p for p in map(_check_checkpoint, checkpoints) if p]
        if problems:
            return KillResult("training", seed, "broken", "; ".join(problems)[:300])
        # resume: continues from the last checkpoint, and the killed save's temp folder goes
        last = max((int(p.name.split("-")[1]) for p in checkpoints), default=0)
        again = "1" if checkpoints else "0"
        resume = [sys.executable, str(script), str(model_dir), str(output), again, str(last + 1)]
        finished = subprocess.run(resume, capture_output=True, env=env, timeout=300)
        if finished.returncode != 0:
            tail = finished.stderr.decode(errors="replace").strip().splitlines()[-1:]
            return KillResult("training", seed, "broken", f"resume failed: {tail}")
        leftovers = [p.name for p in output.iterdir() if p.name.startswith(".")]
        if leftovers:
            return KillResult("training", seed, "broken", f"left after resume: {leftovers}")
        return KillResult("training", seed, "new" if checkpoints else "old", f"{len(checkpoints)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_training_kills(seeds: range) -> list[KillResult]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "train_child.py"
        script.write_text(CHILD)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        return [kill_training_trial(seed, script, env) for seed in seeds]
