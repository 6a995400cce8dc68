"""Learning-rate schedules: every `lr_scheduler_type` gives the reference's
`transformers.get_scheduler` learning rates (warmup included); `lr_scheduler_kwargs` checked per
type; `reduce_lr_on_plateau` steps on the evaluation metric as the reference Trainer does."""

from __future__ import annotations

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import Trainer, TrainingArguments
from tfx_core.training.schedules import create_scheduler

LR = 3e-3
TOTAL = 23


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=LR)


def _learning_rates(scheduler, steps: int = TOTAL + 3) -> list[float]:
    rates = []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return rates


CASES = [
    ("linear", {}),
    ("cosine", {"num_cycles": 0.7}),
    ("cosine_with_restarts", {"num_cycles": 3}),
    ("polynomial", {"power": 2.0, "lr_end": 1e-5}),
    ("constant", {}),
    ("constant_with_warmup", {}),
    ("inverse_sqrt", {}),
    ("cosine_with_min_lr", {"min_lr": 2e-4}),
    ("cosine_with_min_lr", {"min_lr_rate": 0.1, "num_cycles": 0.3}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.05}),
    ("cosine_warmup_with_min_lr", {"min_lr": 1e-4, "warmup_lr_rate": 0.2}),
    ("warmup_stable_decay", {"num_decay_steps": 9}),
    ("warmup_stable_decay", {"num_decay_steps": 6, "num_stable_steps": 4, "decay_type": "1-sqrt"}),
    (
        "warmup_stable_decay",
        {
            "num_decay_steps": 8,
            "warmup_type": "cosine",
            "decay_type": "linear",
            "min_lr_ratio": 0.1,
        },
    ),
    ("warmup_stable_decay", {"num_decay_steps": 5, "warmup_type": "1-sqrt", "num_cycles": 0.8}),
]


@pytest.mark.filterwarnings("ignore:Both num_training_steps and num_stable_steps")
@pytest.mark.parametrize("warmup", [0, 5])
@pytest.mark.parametrize(("kind", "kwargs"), CASES)
def test_learning_rates_equal_the_reference(tmp_path, kind, kwargs, warmup):
    from transformers import get_scheduler

    args = TrainingArguments(
        tmp_path, lr_scheduler_type=kind, lr_scheduler_kwargs=kwargs, warmup_steps=warmup
    )
    ours = _learning_rates(create_scheduler(_optimizer(), args, TOTAL))
    reference = _learning_rates(
        get_scheduler(kind, _optimizer(), warmup, TOTAL, scheduler_specific_kwargs=dict(kwargs))
    )
    assert max(abs(a - b) for a, b in zip(ours, reference, strict=True)) <= 1e-12
    if kind not in ("constant", "constant_with_warmup"):
        assert len(set(ours)) > 3  # the schedule moves


@pytest.mark.parametrize("warmup", [0, 4])
def test_inverse_sqrt_timescale(tmp_path, warmup):
    """`timescale` as the reference's `get_inverse_sqrt_schedule` (its `get_scheduler` drops
    it; tfx applies it rather than ignoring what the user set)."""
    from transformers.optimization import get_inverse_sqrt_schedule

    args = TrainingArguments(
        tmp_path,
        lr_scheduler_type="inverse_sqrt",
        lr_scheduler_kwargs={"timescale": 7},
        warmup_steps=warmup,
    )
    ours = _learning_rates(create_scheduler(_optimizer(), args, TOTAL))
    reference = _learning_rates(get_inverse_sqrt_schedule(_optimizer(), warmup, timescale=7))
    assert max(abs(a - b) for a, b in zip(ours, reference, strict=True)) <= 1e-12


def test_plateau_scheduler_matches_torch(tmp_path):
    from transformers import get_scheduler

    kwargs = {"factor": 0.5, "patience": 1, "threshold": 0.01, "cooldown": 1}
    args = TrainingArguments(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs=kwargs,
        eval_strategy="steps",
        eval_steps=2,
    )
    ours = create_scheduler(_optimizer(), args, TOTAL)
    reference = get_scheduler(
        "reduce_lr_on_plateau", _optimizer(), scheduler_specific_kwargs=kwargs
    )
    assert isinstance(ours, torch.optim.lr_scheduler.ReduceLROnPlateau)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.94, 0.5, 0.6, 0.7, 0.8, 0.9]:
        ours.step(metric)
        reference.step(metric)
        assert ours.optimizer.param_groups[0]["lr"] == reference.optimizer.param_groups[0]["lr"]
    assert ours.optimizer.param_groups[0]["lr"] < LR
    assert ours.state_dict() == reference.state_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr_scheduler_kwargs": {"num_cycles": 2}}, "do not apply to lr_scheduler_type='linear'"),
        (
            {"lr_scheduler_type": "polynomial", "lr_scheduler_kwargs": {"lr_init": 1.0}},
            "takes only lr_end, power",
        ),
        ({"lr_scheduler_type": "cosine_with_min_lr"}, "exactly one of min_lr"),
        (
            {
                "lr_scheduler_type": "cosine_with_min_lr",
                "lr_scheduler_kwargs": {"min_lr": 1e-6, "min_lr_rate": 0.1},
            },
            "exactly one of min_lr",
        ),
        ({"lr_scheduler_type": "warmup_stable_decay"}, "needs lr_scheduler_kwargs"),
        (
            {
                "lr_scheduler_type": "warmup_stable_decay",
                "lr_scheduler_kwargs": {"num_decay_steps": 3, "decay_type": "exp"},
            },
            "is not one of linear, cosine, 1-sqrt",
        ),
        (
            {
                "lr_scheduler_type": "warmup_stable_decay",
                "lr_scheduler_kwargs": {"num_decay_steps": 2.5},
            },
            "integer >= 0",
        ),
        (
            {"lr_scheduler_type": "inverse_sqrt", "lr_scheduler_kwargs": {"timescale": 0}},
            "must be > 0",
        ),
        ({"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"num_cycles": "2"}}, "a number"),
        ({"lr_scheduler_kwargs": "{not json"}, "not a dict or a JSON object"),
        ({"lr_scheduler_type": "reduce_lr_on_plateau"}, "set eval_strategy"),
        (
            {
                "lr_scheduler_type": "reduce_lr_on_plateau",
                "eval_strategy": "epoch",
                "lr_scheduler_kwargs": {"mode": "lowest"},
            },
            "is not one of min, max",
        ),
    ],
)
def test_bad_scheduler_settings_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainingArguments(tmp_path, **kwargs)


def test_settings_that_need_the_run_are_refused_when_built(tmp_path):
    args = TrainingArguments(
        tmp_path,
        lr_scheduler_type="warmup_stable_decay",
        lr_scheduler_kwargs={"num_decay_steps": 9},
    )
    with pytest.raises(ConfigError, match="exceed the 8 training steps"):
        create_scheduler(_optimizer(), args, 8)
    args = TrainingArguments(
        tmp_path, lr_scheduler_type="polynomial", lr_scheduler_kwargs={"lr_end": 0.1}
    )
    with pytest.raises(ConfigError, match="must be below the learning rate"):
        create_scheduler(_optimizer(), args, 8)
    args = TrainingArguments(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"factor": 2.0},
        eval_strategy="epoch",
    )
    with pytest.raises(ConfigError, match="reduce_lr_on_plateau"):
        create_scheduler(_optimizer(), args, 8)
    assert args.metric_for_best_model == "loss" and args.greater_is_better is False
    as_json = TrainingArguments(
        tmp_path, lr_scheduler_type="cosine", lr_scheduler_kwargs='{"num_cycles": 2}'
    )
    assert as_json.lr_scheduler_kwargs == {"num_cycles": 2}


PLATEAU = dict(
    per_device_train_batch_size=4,
    per_device_eval_batch_size=8,
    max_steps=12,
    learning_rate=1e-2,
    logging_steps=1,
    eval_strategy="steps",
    eval_steps=2,
    save_strategy="no",
    lr_scheduler_type="reduce_lr_on_plateau",
    # a 20% improvement at least, else halve: the rate falls during the run
    lr_scheduler_kwargs={"factor": 0.5, "patience": 0, "threshold": 0.2},
    seed=7,
    disable_tqdm=True,
)


def test_plateau_in_training_matches_reference_trainer(tiny, tmp_path):
    pytest.importorskip("accelerate")
    import transformers

    train, dev = tiny.ListDataset(tiny.rows(24)), tiny.ListDataset(tiny.rows(8, seed=3))
    ours = tiny.bert_model()
    ours.save_pretrained(tmp_path / "init")
    reference = transformers.BertForSequenceClassification.from_pretrained(tmp_path / "init")
    reference_trainer = transformers.Trainer(
        reference,
        transformers.TrainingArguments(
            str(tmp_path / "ref"), report_to="none", use_cpu=True, **PLATEAU
        ),
        train_dataset=train,
        eval_dataset=dev,
        data_collator=tiny.collator(),
    )
    reference_trainer.train()
    trainer = Trainer(
        ours,
        TrainingArguments(tmp_path / "ours", **PLATEAU),
        train_dataset=train,
        eval_dataset=dev,
        data_collator=tiny.collator(),
    )
    trainer.train()

    def curve(history, key):
        return [entry[key] for entry in history if key in entry]

    ours_rates = curve(trainer.state.log_history, "learning_rate")
    reference_rates = curve(reference_trainer.state.log_history, "learning_rate")
    assert ours_rates == reference_rates and len(ours_rates) == 12
    assert ours_rates[-1] < ours_rates[0]  # the plateau lowered it
    ours_loss = curve(trainer.state.log_history, "eval_loss")
    reference_loss = curve(reference_trainer.state.log_history, "eval_loss")
    assert len(ours_loss) == 6
    assert max(abs(a - b) for a, b in zip(ours_loss, reference_loss, strict=True)) <= 1e-5


def test_plateau_needs_its_metric(tiny, tmp_path):
    args = TrainingArguments(
        tmp_path, **{**PLATEAU, "max_steps": 2, "metric_for_best_model": "accuracy"}
    )
    trainer = Trainer(
        tiny.bert_model(),
        args,
        train_dataset=tiny.ListDataset(tiny.rows(8)),
        eval_dataset=tiny.ListDataset(tiny.rows(4)),
        data_collator=tiny.collator(),
    )
    with pytest.raises(ConfigError, match="'eval_accuracy' is not among the evaluation metrics"):
        trainer.train()


def test_plateau_resume_continues_identically(tiny, tmp_path):
    """The plateau's state (best metric, bad epochs, cooldown) travels in scheduler.pt."""

    def run(resume=None):
        settings = {**PLATEAU, "save_strategy": "steps", "save_steps": 6}
        trainer = Trainer(
            tiny.bert_model(),
            TrainingArguments(tmp_path, **settings),
            train_dataset=tiny.ListDataset(tiny.rows(24)),
            eval_dataset=tiny.ListDataset(tiny.rows(8, seed=3)),
            data_collator=tiny.collator(),
        )
        trainer.train(resume_from_checkpoint=resume)
        history = trainer.state.log_history
        return {e["step"]: (e["loss"], e["learning_rate"]) for e in history if "loss" in e}

    straight = run()
    resumed = run(str(tmp_path / "checkpoint-6"))
    assert all(resumed[step] == straight[step] for step in range(7, 13))
    assert straight[12][1] < straight[6][1] < straight[1][1]  # lowered before and after step 6
