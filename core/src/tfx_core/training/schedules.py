"""Learning-rate schedules: the reference's `lr_scheduler_type`s, formulas and kwargs.

Each schedule is a multiplier of the optimizer's learning rate at step k (a `LambdaLR`), except
`reduce_lr_on_plateau`, torch's `ReduceLROnPlateau`, which the training loop steps with the
evaluation metric (`metric_for_best_model`) after each evaluation instead of every step.
`check_scheduler_kwargs` validates `lr_scheduler_kwargs` per type; it imports no framework
(TrainingArguments calls it), torch is imported when a scheduler is built.
"""

from __future__ import annotations

import functools
import json
import math
from numbers import Real
from typing import TYPE_CHECKING, Any

from tfx_core.errors import ConfigError

if TYPE_CHECKING:
    import torch

_CURVES = ("linear", "cosine", "1-sqrt")
_PLATEAU_KWARGS = (
    "mode",
    "factor",
    "patience",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lr",
    "eps",
)

# The kwargs each type takes (the reference's function parameters; `timescale` too, see below).
SCHEDULER_KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "reduce_lr_on_plateau": _PLATEAU_KWARGS,
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": (
        "num_decay_steps",
        "num_stable_steps",
        "warmup_type",
        "decay_type",
        "min_lr_ratio",
        "num_cycles",
    ),
}
_TEXT_KWARGS = {"mode": ("min", "max"), "threshold_mode": ("rel", "abs")}
_TEXT_KWARGS.update(warmup_type=_CURVES, decay_type=_CURVES)
_COUNT_KWARGS = ("num_decay_steps", "num_stable_steps", "timescale", "patience", "cooldown")


def check_scheduler_kwargs(kind: str, kwargs: dict[str, Any] | str | None) -> dict[str, Any]:
    """`lr_scheduler_kwargs` for `kind`, checked: names, value types, required ones.

    A JSON object string is parsed, as the reference does."""
    if kwargs is None:
        return {}
    if isinstance(kwargs, str):
        try:
            kwargs = json.loads(kwargs)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"lr_scheduler_kwargs={kwargs!r} is not a dict or a JSON object: {error}."
            ) from error
    if not isinstance(kwargs, dict):
        raise ConfigError(f"lr_scheduler_kwargs must be a dict, got {type(kwargs).__name__}.")
    allowed = SCHEDULER_KWARGS[kind]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        takes = f"takes only {', '.join(allowed)}" if allowed else "takes no kwargs"
        raise ConfigError(
            f"lr_scheduler_kwargs: {unknown} do not apply to lr_scheduler_type={kind!r}, which "
            f"{takes}; remove them."
        )
    for name, value in kwargs.items():
        _check_value(kind, name, value)
    if kwargs.get("timescale") == 0:
        raise ConfigError("lr_scheduler_kwargs['timescale'] must be > 0.")
    if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        given = [name for name in ("min_lr", "min_lr_rate") if kwargs.get(name) is not None]
        if len(given) != 1:
            raise ConfigError(
                f"lr_scheduler_type={kind!r} needs exactly one of min_lr (an absolute learning "
                f"rate) or min_lr_rate (a fraction of learning_rate) in lr_scheduler_kwargs; got "
                f"{given or 'neither'}."
            )
    if kind == "warmup_stable_decay" and kwargs.get("num_decay_steps") is None:
        raise ConfigError(
            "lr_scheduler_type='warmup_stable_decay' needs lr_scheduler_kwargs['num_decay_steps'] "
            "(the steps of the final decay); num_stable_steps defaults to what remains."
        )
    return dict(kwargs)


def _check_value(kind: str, name: str, value: Any) -> None:
    if name in _TEXT_KWARGS:
        if value not in _TEXT_KWARGS[name]:
            raise ConfigError(
                f"lr_scheduler_kwargs[{name!r}]={value!r} is not one of "
                f"{', '.join(_TEXT_KWARGS[name])}."
            )
        return
    if name == "num_stable_steps" and value is None:
        return
    if name in _COUNT_KWARGS:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"lr_scheduler_kwargs[{name!r}] must be an integer >= 0, got {value!r}."
            )
        return
    if name == "min_lr" and kind == "reduce_lr_on_plateau" and isinstance(value, list | tuple):
        return  # the plateau's min_lr may be one per param group (torch checks the length)
    if value is not None and (not isinstance(value, Real) or isinstance(value, bool)):
        raise ConfigError(f"lr_scheduler_kwargs[{name!r}] must be a number, got {value!r}.")


# ---------------------------------------------------------------- multipliers at step k


def _warming(step: int, warmup: int) -> float:
    return float(step) / float(max(1, warmup))


def _linear(step: int, *, warmup: int, total: int) -> float:
    if step < warmup:
        return _warming(step, warmup)
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def _cosine(
    step: int, *, warmup: int, total: int, num_cycles: float = 0.5, min_lr_rate: float = 0.0
) -> float:
    if step < warmup:
        return _warming(step, warmup)
    progress = float(step - warmup) / float(max(1, total - warmup))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    if min_lr_rate:
        factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0.0, factor)


def _cosine_with_restarts(step: int, *, warmup: int, total: int, num_cycles: int = 1) -> float:
    if step < warmup:
        return _warming(step, warmup)
    progress = float(step - warmup) / float(max(1, total - warmup))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def _polynomial(
    step: int, *, warmup: int, total: int, lr_init: float, lr_end: float = 1e-7, power: float = 1.0
) -> float:
    if step < warmup:
        return _warming(step, warmup)
    if step > total:
        return lr_end / lr_init
    remaining = 1 - (step - warmup) / max(1, total - warmup)
    return ((lr_init - lr_end) * remaining**power + lr_end) / lr_init


def _constant(step: int, *, warmup: int = 0, total: int = 0) -> float:
    return 1.0


def _constant_with_warmup(step: int, *, warmup: int, total: int) -> float:
    return _warming(step, warmup) if step < warmup else 1.0


def _inverse_sqrt(step: int, *, warmup: int, total: int, timescale: int | None = None) -> float:
    if step < warmup:
        return _warming(step, warmup)
    scale = timescale or warmup or 10_000
    return 1.0 / math.sqrt((step + scale - warmup) / scale)


def _cosine_warmup_with_min_lr(
    step: int,
    *,
    warmup: int,
    total: int,
    num_cycles: float = 0.5,
    min_lr_rate: float = 0.0,
    warmup_lr_rate: float | None = None,
) -> float:
    """The reference's variant that starts warmup at step 0 with a non-zero rate."""
    if step < warmup:
        if warmup_lr_rate is None:
            return (float(step) + 1.0) / max(1.0, float(warmup))
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * float(step) / max(1, warmup - 1)
    progress = (float(step) - warmup + 1.0) / max(1.0, float(total) - warmup)
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    return max(0.0, factor * (1 - min_lr_rate) + min_lr_rate)


def _curve(kind: str, progress: float, num_cycles: float, rising: bool) -> float:
    if kind == "linear":
        return progress if rising else 1.0 - progress
    if kind == "cosine":
        if rising:
            return 0.5 * (1.0 - math.cos(math.pi * progress))
        return 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return 1.0 - math.sqrt(1.0 - progress) if rising else 1.0 - math.sqrt(progress)


def _warmup_stable_decay(
    step: int,
    *,
    warmup: int,
    total: int,
    num_decay_steps: int,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> float:
    stable = total - warmup - num_decay_steps if num_stable_steps is None else num_stable_steps
    if step < warmup:
        factor = _curve(warmup_type, _warming(step, warmup), num_cycles, rising=True)
    elif step < warmup + stable:
        return 1.0
    elif step < warmup + stable + num_decay_steps:
        progress = float(step - warmup - stable) / float(max(1, num_decay_steps))
        factor = _curve(decay_type, progress, num_cycles, rising=False)
    else:
        return min_lr_ratio
    return max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio)


_MULTIPLIERS = {
    "linear": _linear,
    "cosine": _cosine,
    "cosine_with_restarts": _cosine_with_restarts,
    "polynomial": _polynomial,
    "constant": _constant,
    "constant_with_warmup": _constant_with_warmup,
    "inverse_sqrt": _inverse_sqrt,
    "cosine_with_min_lr": _cosine,
    "cosine_warmup_with_min_lr": _cosine_warmup_with_min_lr,
    "warmup_stable_decay": _warmup_stable_decay,
}


# ---------------------------------------------------------------- building and stepping


def _base_lr(optimizer: torch.optim.Optimizer, kind: str) -> float:
    """The optimizer's default learning rate (what the reference's min_lr / lr_end relate to)."""
    lr = optimizer.defaults.get("lr", optimizer.param_groups[0].get("lr"))
    if lr is None or any(group.get("lr") is None for group in optimizer.param_groups):
        raise ConfigError(
            f"lr_scheduler_type={kind!r} scales the optimizer's learning rate, but the optimizer "
            "has none (Adafactor with relative_step=True sets its own): pass a scheduler with "
            "Trainer(optimizers=(optimizer, scheduler)) or give the optimizer an lr."
        )
    return float(lr)


def create_scheduler(
    optimizer: torch.optim.Optimizer, args: Any, num_training_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """The `args.lr_scheduler_type` schedule over `num_training_steps` optimizer steps."""
    import torch

    kind = args.lr_scheduler_type
    kwargs = check_scheduler_kwargs(kind, args.lr_scheduler_kwargs)
    base_lr = _base_lr(optimizer, kind)
    if kind == "reduce_lr_on_plateau":
        try:
            return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
        except ValueError as error:
            raise ConfigError(f"lr_scheduler_kwargs for reduce_lr_on_plateau: {error}") from error
    warmup = args.get_warmup_steps(num_training_steps)
    if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        min_lr = kwargs.pop("min_lr", None)
        if min_lr is not None:
            kwargs["min_lr_rate"] = min_lr / base_lr
    if kind == "polynomial":
        kwargs["lr_init"] = base_lr
        lr_end = kwargs.get("lr_end", 1e-7)
        if not base_lr > lr_end:
            raise ConfigError(
                f"lr_scheduler_kwargs['lr_end'] ({lr_end}) must be below the learning "
                f"rate ({base_lr}) for the polynomial decay."
            )
    if (
        kind == "warmup_stable_decay"
        and kwargs.get("num_stable_steps") is None
        and warmup + kwargs["num_decay_steps"] > num_training_steps
    ):
        raise ConfigError(
            f"warmup_stable_decay: {warmup} warmup + {kwargs['num_decay_steps']} decay steps "
            f"exceed the {num_training_steps} training steps; lower num_decay_steps or the "
            "warmup, or set num_stable_steps."
        )
    multiplier = functools.partial(
        _MULTIPLIERS[kind], warmup=warmup, total=num_training_steps, **kwargs
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, multiplier)


def steps_every_update(scheduler: Any) -> bool:
    """Whether the loop steps `scheduler` after every optimizer step (all but the plateau)."""
    import torch

    return not isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)


def step_on_metrics(scheduler: Any, args: Any, metrics: dict[str, float]) -> None:
    """After an evaluation in training: step a `ReduceLROnPlateau` with `metric_for_best_model`
    (as the reference); any other scheduler is left alone."""
    if steps_every_update(scheduler):
        return
    name = args.metric_for_best_model or "loss"
    key = name if name.startswith("eval_") else f"eval_{name}"
    if key not in metrics:
        raise ConfigError(
            f"reduce_lr_on_plateau steps on metric_for_best_model={name!r}, but {key!r} is not "
            f"among the evaluation metrics {sorted(metrics)}; set metric_for_best_model to one "
            "of them (or return it from compute_metrics)."
        )
    scheduler.step(metrics[key])
