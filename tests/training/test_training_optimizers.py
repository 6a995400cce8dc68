"""The other optimizers: our `Adafactor` against the reference's `transformers` Adafactor
(option combinations, half-precision parameters, state dicts), `optim="adafactor" / "adagrad" /
"rmsprop"` Trainer runs against the reference Trainer, resume with Adafactor, the lean step
staying off, and the arguments (`adafactor=True`, `optim_args`)."""

from __future__ import annotations

import copy

import pytest
import torch

from tfx_core.errors import ConfigError
from tfx_core.training import Adafactor, Trainer, TrainingArguments
from tfx_core.training.lean_step import OptimizerStep
from tfx_core.training.optim import create_optimizer

STEPS = 20


class _Net(torch.nn.Module):
    """Matrices (factored), a 3-D tensor (factored over its last two dims), vectors, a scalar."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first = torch.nn.Linear(6, 5)
        self.second = torch.nn.Linear(5, 3)
        self.cube = torch.nn.Parameter(torch.randn(2, 3, 4))
        self.scale = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.second(torch.tanh(self.first(x)))
        return out.pow(2).mean() + (self.cube.sum() * self.scale).pow(2)


def _train(optimizer_class, dtype=torch.float32, steps: int = STEPS, **options):
    net = _Net().to(dtype)
    groups = [
        {"params": [net.first.weight, net.cube], "weight_decay": 0.01},
        {"params": [net.first.bias, net.second.weight, net.second.bias, net.scale]},
    ]
    optimizer = optimizer_class(groups, **options)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        net(torch.randn(8, 6, generator=generator).to(dtype)).backward()
        optimizer.step()
        optimizer.zero_grad()
    return net, optimizer


def _max_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(
        (p.float() - q.float()).abs().max().item() for p, q in zip(a.parameters(), b.parameters())
    )


OPTIONS = [
    {"lr": 1e-2, "scale_parameter": False, "relative_step": False},  # what optim="adafactor" uses
    {},  # the defaults: relative step, parameter scale
    {"warmup_init": True, "beta1": 0.9},
    {"lr": 1e-2, "relative_step": False, "beta1": 0.8, "clip_threshold": 0.5, "decay_rate": -0.6},
    {"scale_parameter": False, "eps": (1e-20, 1e-2), "weight_decay": 0.1},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adafactor_equals_the_reference(options):
    from transformers.optimization import Adafactor as ReferenceAdafactor

    ours, our_optimizer = _train(Adafactor, **options)
    reference, reference_optimizer = _train(ReferenceAdafactor, **options)
    assert _max_diff(ours, reference) <= 1e-6
    assert _max_diff(ours, _Net()) > 1e-5  # it moved
    ours_state = our_optimizer.state_dict()["state"]
    reference_state = reference_optimizer.state_dict()["state"]
    for index, entry in reference_state.items():
        assert ours_state[index]["step"] == entry["step"] == STEPS
        for key in ("exp_avg", "exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq"):
            assert (key in ours_state[index]) == (key in entry), key
            if key in entry:
                torch.testing.assert_close(ours_state[index][key], entry[key], rtol=1e-6, atol=0)


def test_adafactor_half_precision_parameters_equal_the_reference():
    from transformers.optimization import Adafactor as ReferenceAdafactor

    options = {"lr": 1e-2, "relative_step": False, "beta1": 0.9}
    ours, _ = _train(Adafactor, torch.bfloat16, steps=5, **options)
    reference, _ = _train(ReferenceAdafactor, torch.bfloat16, steps=5, **options)
    assert ours.first.weight.dtype == torch.bfloat16
    assert _max_diff(ours, reference) == 0.0


def test_adafactor_state_dict_round_trip_continues_identically():
    options = {"lr": 1e-2, "relative_step": False, "beta1": 0.9}
    straight, _ = _train(Adafactor, **options)
    net, optimizer = _train(Adafactor, steps=STEPS // 2, **options)
    saved = copy.deepcopy((net.state_dict(), optimizer.state_dict()))
    restarted = _Net()
    restarted.load_state_dict(saved[0])
    groups = [
        {"params": [restarted.first.weight, restarted.cube], "weight_decay": 0.01},
        {
            "params": [
                restarted.first.bias,
                restarted.second.weight,
                restarted.second.bias,
                restarted.scale,
            ]
        },
    ]
    resumed = Adafactor(groups, **options)
    resumed.load_state_dict(saved[1])
    generator = torch.Generator().manual_seed(1)
    for step in range(STEPS):
        batch = torch.randn(8, 6, generator=generator)
        if step < STEPS // 2:
            continue  # the batches the first half saw
        restarted(batch).backward()
        resumed.step()
        resumed.zero_grad()
    assert _max_diff(restarted, straight) == 0.0


def test_adafactor_refuses_contradictory_options():
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ConfigError, match="lr and relative_step=True"):
        Adafactor(params, lr=1e-3)
    with pytest.raises(ConfigError, match="warmup_init=True needs relative_step=True"):
        Adafactor(params, lr=1e-3, relative_step=False, warmup_init=True)
    with pytest.raises(ConfigError, match="needs an lr"):
        Adafactor(params, relative_step=False)


def test_torch_adafactor_is_a_different_algorithm():
    """Why tfx has its own: torch's Adafactor gives other weights for the same settings."""
    from transformers.optimization import Adafactor as ReferenceAdafactor

    reference, _ = _train(ReferenceAdafactor, lr=1e-2, scale_parameter=False, relative_step=False)
    other, _ = _train(torch.optim.Adafactor, lr=1e-2)
    assert _max_diff(reference, other) > 1e-3


@pytest.mark.parametrize("optim", ["adafactor", "adagrad", "rmsprop", "sgd"])
def test_trainer_optimizer_matches_the_reference(tmp_path, tiny, optim):
    import transformers

    settings = dict(
        per_device_train_batch_size=4,
        max_steps=10,
        learning_rate=1e-3 if optim != "adagrad" else 1e-2,
        weight_decay=0.01,
        warmup_steps=2,
        logging_steps=1,
        save_strategy="no",
        seed=7,
        disable_tqdm=True,
        optim=optim,
    )
    data = tiny.ListDataset(tiny.rows(24))
    ours = tiny.bert_model()
    ours.save_pretrained(tmp_path / "init")
    reference = transformers.BertForSequenceClassification.from_pretrained(tmp_path / "init")
    recorded: list[float] = []  # the reference logs losses rounded to 4 digits

    class Recording(transformers.Trainer):
        def training_step(self, *args, **kwargs):
            loss = super().training_step(*args, **kwargs)
            recorded.append(loss.item())
            return loss

    reference_trainer = Recording(
        reference,
        transformers.TrainingArguments(
            str(tmp_path / "ref"), report_to="none", use_cpu=True, **settings
        ),
        train_dataset=data,
        data_collator=tiny.collator(),
    )
    reference_trainer.train()
    trainer = Trainer(
        ours,
        TrainingArguments(tmp_path / "ours", **settings),
        train_dataset=data,
        data_collator=tiny.collator(),
    )
    trainer.train()
    expected_class = {
        "adafactor": Adafactor,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "sgd": torch.optim.SGD,
    }[optim]
    assert type(trainer.optimizer) is expected_class
    assert all(
        v == reference_trainer.optimizer.defaults[k] for k, v in trainer.optimizer.defaults.items()
    )

    def losses(history):
        return [entry["loss"] for entry in history if "loss" in entry]

    ours_losses, reference_losses = losses(trainer.state.log_history), recorded
    assert len(ours_losses) == len(reference_losses) == 10
    assert max(abs(a - b) for a, b in zip(ours_losses, reference_losses)) <= 1e-6
    assert ours_losses[-1] < ours_losses[0]
    # Attention key biases are left out: their true gradient is 0 (softmax ignores a shift
    # shared by all keys), so Adafactor / Adagrad / RMSprop normalise rounding noise into
    # order-one steps whose direction is that noise (up to 5e-3 apart after 10 steps).
    ours_state, reference_state = ours.state_dict(), reference.state_dict()
    compared = [k for k in ours_state if not k.endswith("attention.self.key.bias")]
    assert len(compared) == len(ours_state) - 2
    assert max((ours_state[k] - reference_state[k]).abs().max().item() for k in compared) <= 1e-6


def test_adafactor_resume_continues_the_loss_curve(tmp_path, tiny):
    def run(folder, resume=None):
        args = TrainingArguments(
            folder,
            per_device_train_batch_size=4,
            max_steps=8,
            learning_rate=1e-3,
            weight_decay=0.01,
            warmup_steps=2,
            logging_steps=1,
            save_steps=4,
            seed=7,
            disable_tqdm=True,
            optim="adafactor",
        )
        trainer = Trainer(
            tiny.bert_model(),
            args,
            train_dataset=tiny.ListDataset(tiny.rows(24)),
            data_collator=tiny.collator(),
        )
        trainer.train(resume_from_checkpoint=resume)
        losses = {e["step"]: e["loss"] for e in trainer.state.log_history if "loss" in e}
        return trainer, losses

    straight, expected = run(tmp_path / "straight")
    saved = torch.load(tmp_path / "straight" / "checkpoint-4" / "optimizer.pt", weights_only=True)
    assert {"exp_avg_sq_row", "exp_avg_sq_col"} <= set(saved["state"][0])
    assert saved["state"][0]["step"] == 4
    resumed, losses = run(tmp_path / "straight", str(tmp_path / "straight" / "checkpoint-4"))
    assert set(losses) == set(range(1, 9))
    assert all(losses[step] == expected[step] for step in range(5, 9))
    assert _max_diff(resumed.model, straight.model) == 0.0


@pytest.mark.parametrize("optim", ["adafactor", "adagrad", "rmsprop", "sgd"])
def test_lean_step_stays_off(tmp_path, optim):
    net = _Net()
    optimizer = create_optimizer(net, TrainingArguments(tmp_path, optim=optim))
    step = OptimizerStep(optimizer)
    for _ in range(3):
        net(torch.randn(4, 6)).backward()
        step()
        optimizer.zero_grad()
    assert not step.eligible and step.plan is None


def test_arguments(tmp_path):
    with pytest.warns(FutureWarning, match="optim='adafactor'"):
        args = TrainingArguments(tmp_path, adafactor=True)
    assert args.optim == "adafactor"
    with pytest.raises(ConfigError, match="takes no optim_args"):
        TrainingArguments(tmp_path, optim="rmsprop", optim_args="alpha=0.9")
    assert TrainingArguments(tmp_path, optim_args="").optim_args == ""
    with pytest.raises(ConfigError, match="adagrad, rmsprop, adafactor"):
        TrainingArguments(tmp_path, optim="lion")
    optimizer = create_optimizer(_Net(), TrainingArguments(tmp_path, optim="adafactor"))
    assert optimizer.defaults["lr"] == 5e-5
    assert not optimizer.defaults["relative_step"] and not optimizer.defaults["scale_parameter"]
