"""The default optimizer (AdamW, no decay on biases and norms) and learning-rate schedules."""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.training.arguments import TrainingArguments

_NO_DECAY = [
    re.compile(p)
    for p in (r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)")
]


def _is_norm(module: nn.Module) -> bool:
    return isinstance(module, nn.LayerNorm | nn.GroupNorm | nn.modules.batchnorm._BatchNorm) or (
        type(module).__name__.endswith(("LayerNorm", "RMSNorm"))
    )


def decay_parameter_names(model: nn.Module) -> set[str]:
    """Parameters that get weight decay: not inside a norm layer, not named like a bias/norm."""
    names: set[str] = set()
    for module_name, module in model.named_modules():
        if _is_norm(module):
            continue
        for name, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{name}" if module_name else name
            if not any(pattern.search(full.lower()) for pattern in _NO_DECAY):
                names.add(full)
    return names


def create_optimizer(model: nn.Module, args: TrainingArguments) -> torch.optim.Optimizer:
    decay = decay_parameter_names(model)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ConfigError("The model has no trainable parameters (all have requires_grad=False).")
    groups = [
        {"params": [p for n, p in params if n in decay], "weight_decay": args.weight_decay},
        {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0},
    ]
    groups = [group for group in groups if group["params"]]
    if args.optim == "sgd":
        return torch.optim.SGD(groups, lr=args.learning_rate)
    return torch.optim.AdamW(
        groups,
        lr=args.learning_rate,
        betas=(args.adam_beta1, args.adam_beta2),
        eps=args.adam_epsilon,
        fused=True if args.optim == "adamw_torch_fused" else None,
    )


def _factor(
    step: int,
    *,
    kind: str,
    warmup: int,
    total: int,
    num_cycles: float = 0.5,
    power: float = 1.0,
    lr_end: float = 1e-7,
    lr_init: float = 1.0,
) -> float:
    """The learning-rate multiplier at `step` (the reference's formulas)."""
    if kind == "constant":
        return 1.0
    if step < warmup:
        return step / max(1, warmup)
    if kind == "constant_with_warmup":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return max(0.0, (total - step) / max(1, total - warmup))
    if kind == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress)))
    if kind == "cosine_with_restarts":
        if progress >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((num_cycles * progress) % 1.0))))
    if kind == "polynomial":
        if step > total:
            return lr_end / lr_init
        decay = (lr_init - lr_end) * (1 - progress) ** power + lr_end
        return decay / lr_init
    raise ConfigError(f"Unknown lr_scheduler_type {kind!r}.")


def create_scheduler(
    optimizer: torch.optim.Optimizer, args: TrainingArguments, num_training_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    kwargs: dict[str, Any] = dict(args.lr_scheduler_kwargs)
    if args.lr_scheduler_type == "cosine_with_restarts":
        kwargs.setdefault("num_cycles", 1)
    if args.lr_scheduler_type == "polynomial":
        kwargs.setdefault("lr_init", args.learning_rate)
    allowed = {"num_cycles", "power", "lr_end", "lr_init"}
    if set(kwargs) - allowed:
        raise ConfigError(
            f"lr_scheduler_kwargs: unknown {sorted(set(kwargs) - allowed)}; allowed: "
            f"{sorted(allowed)}."
        )
    factor = functools.partial(
        _factor,
        kind=args.lr_scheduler_type,
        warmup=args.get_warmup_steps(num_training_steps),
        total=num_training_steps,
        **kwargs,
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
