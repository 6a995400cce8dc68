"""Torch's CPU threads during `Trainer.train()`: one for a small model (its ops are too short
for a parallel region), the current setting for a large one, `cpu_threads` to choose; the
setting is restored afterwards."""

from __future__ import annotations

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import Trainer, TrainerCallback, TrainingArguments
from tfx_core.training.loop import train_num_threads


class _Threads(TrainerCallback):
    def __init__(self):
        self.seen = []

    def on_step_end(self, args, state, control, **kwargs):
        self.seen.append(torch.get_num_threads())


def _train(tiny, tmp_path, **kwargs):
    spy = _Threads()
    args = TrainingArguments(
        tmp_path, max_steps=2, per_device_train_batch_size=4, save_strategy="no",
        disable_tqdm=True, **kwargs,
    )  # fmt: skip
    trainer = Trainer(
        tiny.bert_model(),
        args,
        train_dataset=tiny.ListDataset(tiny.rows(8)),
        data_collator=tiny.collator(),
        callbacks=[spy],
    )
    trainer.train()
    return spy.seen


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_small_model_trains_on_one_thread_and_restores(tiny, tmp_path, two_threads):
    assert _train(tiny, tmp_path) == [1, 1]
    assert torch.get_num_threads() == 2


def test_cpu_threads_overrides(tiny, tmp_path, two_threads):
    assert _train(tiny, tmp_path, cpu_threads=2) == [2, 2]
    assert torch.get_num_threads() == 2


def test_large_model_keeps_the_setting(tiny, two_threads):
    args = TrainingArguments("out")
    large = torch.nn.Linear(1024, 1024)  # 4 MiB of parameters
    assert train_num_threads(large, args, torch.device("cpu")) == 2
    assert train_num_threads(tiny.bert_model(), args, torch.device("cpu")) == 1
    assert train_num_threads(tiny.bert_model(), args, torch.device("meta")) == 2


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_cpu_threads_must_be_a_positive_integer(value):
    with pytest.raises(ConfigError, match="cpu_threads"):
        TrainingArguments("out", cpu_threads=value)
