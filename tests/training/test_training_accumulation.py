"""k micro-batches of gradient accumulation == one batch k times larger (<= 1e-6), with padding
and token-level losses; the naive mean of micro-batch means (the reference's old bug) is not."""

from __future__ import annotations

import pytest
import torch

from tfx_core.training import Trainer, TrainingArguments


def _train(tiny, tmp_path, head, batch, accumulation, steps=2, **model_kwargs):
    model = tiny.bert_model(head, **model_kwargs)
    args = TrainingArguments(
        tmp_path / f"{head}-{batch}x{accumulation}",
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=accumulation,
        max_steps=steps,
        learning_rate=1e-3,
        weight_decay=0.01,
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        optim="adamw_torch",
    )
    # lengths 2..14 in one batch: big batches pad much more than micro-batches
    data = tiny.ListDataset(tiny.rows(24, head, min_len=2, max_len=14))
    trainer = Trainer(model, args, train_dataset=data, data_collator=tiny.collator())
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, losses


def _max_diff(a, b):
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.mark.parametrize("head", ["cls", "tok", "lm"])
def test_accumulation_equals_large_batch(tiny, tmp_path, head):
    big, big_losses = _train(tiny, tmp_path, head, batch=8, accumulation=1)
    small, small_losses = _train(tiny, tmp_path, head, batch=2, accumulation=4)
    assert _max_diff(big, small) <= 1e-6
    assert small_losses == pytest.approx(big_losses, abs=1e-6)


def test_naive_normalisation_would_differ(tiny, tmp_path, monkeypatch):
    """Guard that the equivalence test can fail: weighting micro-batches equally (dividing by
    the number of micro-batches) changes the update for token-level losses."""
    big, _ = _train(tiny, tmp_path, "tok", batch=8, accumulation=1, steps=1)
    monkeypatch.setattr("tfx_core.training.loop.count_items", lambda *a, **k: 1)
    naive, _ = _train(tiny, tmp_path / "naive", "tok", batch=2, accumulation=4, steps=1)
    assert _max_diff(big, naive) > 1e-5


def test_token_counts_shift_for_causal_lm(tiny):
    from tfx_core.training.loss import count_items, shifts_labels

    labels = torch.tensor([[5, 6, 7, -100], [8, -100, -100, -100]])
    assert count_items({"labels": labels}, ["labels"], shift=False) == 4
    assert count_items({"labels": labels}, ["labels"], shift=True) == 2
    assert count_items({"labels": torch.tensor([1, 0, 2])}, ["labels"], shift=False) == 3
    assert shifts_labels(tiny.bert_model("lm")) and not shifts_labels(tiny.bert_model("tok"))
