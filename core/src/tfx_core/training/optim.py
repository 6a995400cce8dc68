"""The Trainer's optimizer from `args.optim` (weight decay off for biases and norms), as the
reference builds it; the learning-rate schedules live in `tfx_core.training.schedules`."""

from __future__ import annotations

import re

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.training.arguments import TrainingArguments
from tfx_core.training.schedules import create_scheduler

__all__ = ["create_optimizer", "create_scheduler", "decay_parameter_names"]

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
    """`args.optim` over the model's trainable parameters, in two groups (with and without
    weight decay), with the reference's arguments: AdamW takes the adam_* values; SGD, Adagrad
    and RMSprop only the learning rate; Adafactor a fixed learning rate (no relative step or
    parameter scaling)."""
    decay = decay_parameter_names(model)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ConfigError("The model has no trainable parameters (all have requires_grad=False).")
    groups = [
        {"params": [p for n, p in params if n in decay], "weight_decay": args.weight_decay},
        {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0},
    ]
    groups = [group for group in groups if group["params"]]
    lr = args.learning_rate
    if args.optim == "sgd":
        return torch.optim.SGD(groups, lr=lr)
    if args.optim == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr)
    if args.optim == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr)
    if args.optim == "adafactor":
        from tfx_core.training.adafactor import Adafactor

        return Adafactor(groups, lr=lr, scale_parameter=False, relative_step=False)
    return torch.optim.AdamW(
        groups,
        lr=lr,
        betas=(args.adam_beta1, args.adam_beta2),
        eps=args.adam_epsilon,
        fused=True if args.optim == "adamw_torch_fused" else None,
    )
