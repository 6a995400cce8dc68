"""`group_by_length=True`: the sampler's order equals the reference's `LengthGroupedSampler` on
the reference Trainer's random stream (and accelerate's per-rank batches under DDP), a training
run sees the reference Trainer's batches and loss curve, resume continues identically, and
missing lengths get a clear error."""

from __future__ import annotations

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import Trainer, TrainingArguments
from tfx_core.training.length_grouping import LengthGroupedSampler, example_lengths

pytest.importorskip("accelerate")


def _lengths(n: int, seed: int, high: int = 40) -> list[int]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(1, high, (n,), generator=generator).tolist()


def _reference_epoch(lengths: list[int], group_size: int, seed: int, epoch: int) -> list[int]:
    """The reference sampler's order in epoch `epoch` of the reference Trainer's stream: torch's
    RNG seeded with `seed`, each epoch the DataLoader's base-seed draw, then the sampler."""
    from transformers.trainer_pt_utils import LengthGroupedSampler as Reference

    generator = torch.Generator().manual_seed(seed)
    reference = Reference(group_size, lengths=lengths, generator=generator)
    for _ in range(epoch + 1):
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        order = list(reference)
    return order


@pytest.mark.parametrize(
    ("n", "batch", "accumulation", "high"),
    [(7, 4, 1, 40), (40, 4, 1, 40), (333, 8, 2, 40), (1000, 4, 1, 5), (2500, 3, 4, 200)],
)
def test_order_matches_reference_sampler(n, batch, accumulation, high):
    for seed in (0, 7, 123):
        lengths = _lengths(n, seed, high)  # high=5: many ties, their order must agree too
        ours = LengthGroupedSampler(
            lengths, batch_size=batch, group_size=batch * accumulation, seed=seed
        )
        for epoch in (0, 1, 2, 1):  # epoch 1 again: rebuilt from the seed, not a cached state
            ours.set_epoch(epoch)
            expected = _reference_epoch(lengths, batch * accumulation, seed, epoch)
            assert list(ours) == expected, (seed, epoch)
            assert len(ours) == n
        assert sorted(expected) == list(range(n))


@pytest.mark.parametrize(("n", "batch"), [(40, 4), (37, 4), (5, 4), (101, 3)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_two_ranks_get_the_batches_accelerate_gives_them(n, batch, drop_last):
    """Under torchrun the reference Trainer's loader is accelerate's `BatchSamplerShard` over
    the length-grouped order: rank r takes batches r, r + 2, ..., the tail completed."""
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler

    lengths = _lengths(n, seed=n)
    for epoch in (0, 1):
        order = _reference_epoch(lengths, batch, 11, epoch)
        shares = []
        for rank in (0, 1):
            batches = BatchSampler(order, batch, drop_last)
            shard = BatchSamplerShard(batches, num_processes=2, process_index=rank)
            expected = [index for chunk in shard for index in chunk]
            ours = LengthGroupedSampler(
                lengths,
                batch_size=batch,
                group_size=batch,
                seed=11,
                num_replicas=2,
                rank=rank,
                drop_last=drop_last,
            )
            ours.set_epoch(epoch)
            assert list(ours) == expected, (rank, epoch)
            assert len(ours) == len(expected) == len(shard) * batch
            ours.set_epoch(epoch, skip=batch)  # resume: the rank's later batches, unchanged
            assert list(ours) == expected[batch:]
            shares.append(expected)
        if not drop_last:  # together the ranks see every example
            assert set(shares[0]) | set(shares[1]) == set(range(n))


def _recording_collator(tiny, seen: list):
    """The tiny padding collator, recording each batch's examples (their input ids)."""
    collate = tiny.collator()

    def record(features):
        seen.append([tuple(f["input_ids"]) for f in features])
        return collate(features)

    return record


SETTINGS = dict(
    learning_rate=1e-3,
    weight_decay=0.01,
    warmup_steps=3,
    logging_steps=1,
    save_strategy="no",
    seed=7,
    disable_tqdm=True,
    group_by_length=True,
)


@pytest.mark.parametrize(("accumulation", "steps"), [(1, 30), (2, 12)])
def test_training_matches_reference_trainer(tiny, tmp_path, accumulation, steps):
    """Padded examples of lengths 2..14; 3 epochs, so each epoch's grouped order is compared."""
    import transformers

    data = tiny.ListDataset(tiny.rows(40, "cls", min_len=2, max_len=14))
    settings = dict(
        SETTINGS,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=accumulation,
        max_steps=steps,
    )
    ours = tiny.bert_model("cls")
    ours.save_pretrained(tmp_path / "init")
    reference = transformers.BertForSequenceClassification.from_pretrained(tmp_path / "init")
    reference_batches, reference_losses = [], []

    class Recording(transformers.Trainer):
        def training_step(self, *args, **kwargs):
            loss = super().training_step(*args, **kwargs)
            reference_losses.append(loss.item())
            return loss

    Recording(
        reference,
        transformers.TrainingArguments(
            str(tmp_path / "ref"), report_to="none", use_cpu=True, **settings
        ),
        train_dataset=data,
        data_collator=_recording_collator(tiny, reference_batches),
    ).train()
    batches: list = []
    trainer = Trainer(
        ours,
        TrainingArguments(tmp_path / "ours", **settings),
        train_dataset=data,
        data_collator=_recording_collator(tiny, batches),
    )
    trainer.train()
    assert len(batches) == steps * accumulation
    assert batches == reference_batches[: len(batches)]  # accelerate prefetches one more
    assert len({max(map(len, b)) for b in batches[:10]}) > 1  # batches differ in padded width
    step_losses = [
        sum(reference_losses[i : i + accumulation])
        for i in range(0, len(reference_losses), accumulation)
    ]
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == len(step_losses) == steps
    assert max(abs(a - b) for a, b in zip(losses, step_losses)) <= 1e-5


def test_grouping_changes_the_order(tiny, tmp_path):
    """The test above can fail: without grouping the same run sees other batches."""
    data = tiny.ListDataset(tiny.rows(40, "cls", min_len=2, max_len=14))

    def first_batches(group_by_length):
        seen: list = []
        settings = dict(SETTINGS, group_by_length=group_by_length, max_steps=3)
        Trainer(
            tiny.bert_model("cls"),
            TrainingArguments(tmp_path / str(group_by_length), **settings),
            train_dataset=data,
            data_collator=_recording_collator(tiny, seen),
        ).train()
        return seen

    grouped = first_batches(True)
    assert grouped != first_batches(False)
    assert max(map(len, grouped[0])) == 14  # the longest example comes first


def test_resume_mid_epoch_continues_identically(tiny, tmp_path):
    """24 examples / batch 4 = 6 steps per epoch: checkpoint-4 is mid epoch 0, checkpoint-8 mid
    epoch 1 (whose order a fresh sampler must rebuild). Dropout is on: the order never draws
    from the global RNG, so restoring it keeps both the order and the dropout masks."""
    data = tiny.ListDataset(tiny.rows(24, "tok", min_len=2, max_len=14))
    settings = dict(
        SETTINGS,
        per_device_train_batch_size=4,
        max_steps=11,
        save_strategy="steps",
        save_steps=4,
        seed=3,
    )

    def run(resume=None):
        seen: list = []
        trainer = Trainer(
            tiny.bert_model("tok", hidden_dropout_prob=0.1),
            TrainingArguments(tmp_path / "run", **settings),
            train_dataset=data,
            data_collator=_recording_collator(tiny, seen),
        )
        trainer.train(resume_from_checkpoint=resume)
        losses = {e["step"]: e["loss"] for e in trainer.state.log_history if "loss" in e}
        return seen, losses, trainer.model.state_dict()

    full_batches, full_losses, full_weights = run()
    for step in (4, 8):
        batches, losses, weights = run(str(tmp_path / "run" / f"checkpoint-{step}"))
        assert batches == full_batches[step:]
        assert {k: v for k, v in losses.items() if k > step} == {
            k: v for k, v in full_losses.items() if k > step
        }
        assert all(torch.equal(weights[k], full_weights[k]) for k in weights)


def test_lengths_from_a_length_column_or_the_processors_input():
    datasets = pytest.importorskip("datasets")
    columns = {"input_ids": [[1, 2, 3], [4], [5, 6]], "length": [1, 9, 4]}
    dataset = datasets.Dataset.from_dict(columns)
    assert example_lengths(dataset) == [1, 9, 4]  # the column wins, as the reference
    assert example_lengths(dataset, length_column_name="size") == [3, 1, 2]

    class Processor:  # a feature extractor whose first model input is not input_ids
        model_input_names = ["input_values", "attention_mask"]

    from tfx_core.training.length_grouping import train_sampler

    audio = [{"input_values": [0.0] * k} for k in (5, 2, 7)]
    args = TrainingArguments("unused", group_by_length=True, per_device_train_batch_size=2)
    sampler = train_sampler(audio, args, Processor(), seed=0, num_replicas=1, rank=0)
    assert sampler.lengths == [5, 2, 7]


def test_missing_lengths_are_a_config_error(tiny, tmp_path):
    rows = [{"tokens": [1, 2, 3], "labels": 0} for _ in range(8)]
    trainer = Trainer(
        tiny.bert_model("cls"),
        TrainingArguments(tmp_path, group_by_length=True, max_steps=1, disable_tqdm=True),
        train_dataset=tiny.ListDataset(rows),
        data_collator=tiny.collator(),
    )
    with pytest.raises(ConfigError, match=r"no 'input_ids' field .*'length' column"):
        trainer.train()
    with pytest.raises(ConfigError, match="group_by_length must be True or False"):
        TrainingArguments(tmp_path, group_by_length="yes")
    with pytest.raises(ConfigError, match="length_column_name"):
        TrainingArguments(tmp_path, length_column_name="")
