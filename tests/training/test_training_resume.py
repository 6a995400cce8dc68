"""Kill-and-resume continues identically; a checkpoint being written when killed never
appears half-written; the checkpoint layout, rotation and resume errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfx_core.errors import CheckpointNotFoundError

HERE = Path(__file__).parent
# 32 examples / batch 4 = 8 micro-batches = 4 steps per epoch: checkpoint-6 is mid epoch 2.
RUN = [
    "--head",
    "tok",
    "--batch",
    "4",
    "--accumulation",
    "2",
    "--max-steps",
    "10",
    "--save-steps",
    "3",
    "--dropout",
    "0.1",
]


def _run(folder: Path, env: dict, *extra: str) -> int:
    command = [sys.executable, str(HERE / "tiny.py"), str(folder), *RUN, *extra]
    return subprocess.run(command, env=env, capture_output=True, timeout=300).returncode


def _losses(folder: Path) -> dict[int, float]:
    lines = (folder / "losses.jsonl").read_text().splitlines()
    return {row["step"]: row["loss"] for row in map(json.loads, lines)}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference curve: the same run, never killed."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", USE_TF="0", USE_FLAX="0")
    env.pop("WORLD_SIZE", None)
    folder = tmp_path_factory.mktemp("full")
    assert _run(folder, env) == 0
    return folder


def test_kill_and_resume_continues_identically(tmp_path, uninterrupted, script_env):
    assert _run(tmp_path, script_env, "--kill-at", "8") == -9  # SIGKILL mid epoch 2
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-3", "checkpoint-6"]
    assert _run(tmp_path, script_env, "--resume") == 0
    expected, resumed = _losses(uninterrupted), _losses(tmp_path)
    assert set(resumed) == set(range(1, 11))
    for step in range(7, 11):  # dropout is on: the RNG state is restored too
        assert resumed[step] == expected[step], step
    from safetensors.torch import load_file

    a = load_file(uninterrupted / "final" / "model.safetensors")
    b = load_file(tmp_path / "final" / "model.safetensors")
    assert all((a[k] == b[k]).all() for k in a)


def test_checkpoint_killed_while_written_is_never_half_written(tmp_path, uninterrupted, script_env):
    assert _run(tmp_path, script_env, "--kill-in-save", "6") == -9
    # checkpoint-6 had files written when the process died: only a hidden temp folder exists
    assert not (tmp_path / "checkpoint-6").exists()
    assert list(tmp_path.glob(".tfx-checkpoint-6*"))
    assert _run(tmp_path, script_env, "--resume") == 0  # resumes from checkpoint-3
    assert not list(tmp_path.glob(".tfx-*"))  # stale temp folders cleaned
    assert _losses(tmp_path)[10] == _losses(uninterrupted)[10]


def test_checkpoint_layout_and_state(uninterrupted):
    folder = uninterrupted / "checkpoint-6"
    names = {p.name for p in folder.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "optimizer.pt",
        "scheduler.pt",
        "rng_state.pth",
        "trainer_state.json",
        "training_args.json",
    } <= names
    state = json.loads((folder / "trainer_state.json").read_text())
    assert state["global_step"] == 6 and state["max_steps"] == 10
    assert state["epoch"] == pytest.approx(1.5)
    assert [e["step"] for e in state["log_history"]] == [1, 2, 3, 4, 5, 6]


def test_save_total_limit_rotates(tmp_path, tiny):
    from tfx_core.training import Trainer, TrainingArguments

    args = TrainingArguments(
        tmp_path,
        per_device_train_batch_size=4,
        max_steps=6,
        save_steps=2,
        save_total_limit=2,
        disable_tqdm=True,
        logging_steps=1,
    )
    Trainer(
        tiny.bert_model(),
        args,
        train_dataset=tiny.ListDataset(tiny.rows(16)),
        data_collator=tiny.collator(),
    ).train()
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-6"]


def test_resume_errors_are_clear(tmp_path, tiny):
    from tfx_core.training import Trainer, TrainingArguments

    args = TrainingArguments(tmp_path, max_steps=1, disable_tqdm=True)
    trainer = Trainer(
        tiny.bert_model(),
        args,
        train_dataset=tiny.ListDataset(tiny.rows(8)),
        data_collator=tiny.collator(),
    )
    with pytest.raises(CheckpointNotFoundError, match="holds no checkpoint"):
        trainer.train(resume_from_checkpoint=True)
    with pytest.raises(CheckpointNotFoundError, match="not a training checkpoint"):
        trainer.train(resume_from_checkpoint=str(tmp_path))
