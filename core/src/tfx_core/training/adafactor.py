"""Adafactor (Shazeer & Stern, 2018), with the semantics of the reference's
`transformers.optimization.Adafactor` (the fairseq variant), which `optim="adafactor"` builds.

Per parameter and step t: the squared gradient (plus `eps[0]`) feeds a running average with
decay `1 - t ** decay_rate`; for parameters of two or more dimensions it is kept factored, as
row and column means of the last two dimensions, and rebuilt as their normalized outer product.
The update `grad / sqrt(average)` is scaled down to a root mean square of at most
`clip_threshold`, multiplied by the step size, optionally averaged with `beta1` (a first
moment), and subtracted, after weight decay `weight_decay * step size * param`. The step size is
`lr`, or with `relative_step` `min(1e-2, 1 / sqrt(t))` (`min(1e-6 * t, 1 / sqrt(t))` with
`warmup_init`); with `scale_parameter` it is multiplied by `max(eps[1], RMS(param))`.

`torch.optim.Adafactor` is a different algorithm (no update clipping, no first moment, its own
step size and epsilon), so it is not a substitute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from tfx_core.errors import ConfigError

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _rms(tensor: torch.Tensor) -> torch.Tensor:
    """Root mean square of all elements (a 0-d tensor)."""
    return torch.linalg.vector_norm(tensor) / math.sqrt(tensor.numel())


class Adafactor(torch.optim.Optimizer):
    """Adafactor with factored second moments; the reference's arguments and defaults.

    For a fixed external learning rate (the Trainer's `optim="adafactor"`), use
    `Adafactor(params, lr=1e-3, scale_parameter=False, relative_step=False)`. The state keys
    (`step`, `exp_avg`, `exp_avg_sq_row`, `exp_avg_sq_col`, `exp_avg_sq`, `RMS`) are the
    reference's, so optimizer checkpoints move between the two.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | None = None,
        eps: tuple[float, float] = (1e-30, 1e-3),
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        beta1: float | None = None,
        weight_decay: float = 0.0,
        scale_parameter: bool = True,
        relative_step: bool = True,
        warmup_init: bool = False,
    ) -> None:
        if lr is not None and relative_step:
            raise ConfigError(
                "Adafactor: lr and relative_step=True both set the step size; pass lr=None for "
                "the relative step, or relative_step=False for a fixed lr."
            )
        if lr is None and not relative_step:
            raise ConfigError("Adafactor: relative_step=False needs an lr.")
        if warmup_init and not relative_step:
            raise ConfigError("Adafactor: warmup_init=True needs relative_step=True.")
        if beta1 is not None and not 0.0 <= beta1 < 1.0:
            raise ConfigError(f"Adafactor: beta1 must be in [0, 1) or None, got {beta1}.")
        if clip_threshold <= 0:
            raise ConfigError(f"Adafactor: clip_threshold must be > 0, got {clip_threshold}.")
        defaults = {
            "lr": lr,
            "eps": eps,
            "clip_threshold": clip_threshold,
            "decay_rate": decay_rate,
            "beta1": beta1,
            "weight_decay": weight_decay,
            "scale_parameter": scale_parameter,
            "relative_step": relative_step,
            "warmup_init": warmup_init,
        }
        super().__init__(params, defaults)

    @staticmethod
    def step_size(group: dict[str, Any], state: dict[str, Any]) -> float | torch.Tensor:
        """The step size for a parameter at its current step (a tensor with scale_parameter)."""
        size = group["lr"]
        if group["relative_step"]:
            step = state["step"]
            ceiling = 1e-6 * step if group["warmup_init"] else 1e-2
            size = min(ceiling, 1.0 / math.sqrt(step))
        if group["scale_parameter"]:
            return state["RMS"].clamp(min=group["eps"][1]) * size
        return size

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._update(param, group)
        return loss

    def _update(self, param: torch.Tensor, group: dict[str, Any]) -> None:
        grad = param.grad
        if grad.is_sparse:
            raise ConfigError("Adafactor does not support sparse gradients; use dense ones.")
        if grad.dtype in _LOW_PRECISION:
            grad = grad.float()
        weights = param.float() if param.dtype in _LOW_PRECISION else param
        state = self.state[param]
        factored = grad.dim() >= 2
        if not state:
            self._init_state(state, grad, factored, group["beta1"] is not None)
        state["step"] += 1
        if group["scale_parameter"]:
            state["RMS"] = _rms(weights)
        size = self.step_size(group, state)

        keep = 1.0 - math.pow(state["step"], group["decay_rate"])  # the decay of the average
        squared = grad.square().add_(group["eps"][0])
        if factored:
            row = state["exp_avg_sq_row"].to(grad)
            col = state["exp_avg_sq_col"].to(grad)
            row.mul_(keep).add_(squared.mean(dim=-1), alpha=1.0 - keep)
            col.mul_(keep).add_(squared.mean(dim=-2), alpha=1.0 - keep)
            state["exp_avg_sq_row"], state["exp_avg_sq_col"] = row, col
            row_scale = (row / row.mean(dim=-1, keepdim=True)).rsqrt().unsqueeze(-1)
            update = row_scale * col.unsqueeze(-2).rsqrt()
            update.mul_(grad)
        else:
            average = state["exp_avg_sq"].to(grad)
            average.mul_(keep).add_(squared, alpha=1.0 - keep)
            state["exp_avg_sq"] = average
            update = average.rsqrt().mul_(grad)
        update.div_((_rms(update) / group["clip_threshold"]).clamp_(min=1.0))
        update.mul_(size)
        if group["beta1"] is not None:
            momentum = state["exp_avg"].to(grad)
            momentum.mul_(group["beta1"]).add_(update, alpha=1.0 - group["beta1"])
            state["exp_avg"] = momentum
            update = momentum
        if group["weight_decay"] != 0:
            decay = -group["weight_decay"] * size
            if isinstance(decay, torch.Tensor):
                weights.add_(weights * decay)
            else:
                weights.add_(weights, alpha=decay)
        weights.sub_(update)
        if weights is not param:
            param.copy_(weights)

    @staticmethod
    def _init_state(state: dict[str, Any], grad: torch.Tensor, factored: bool, first: bool) -> None:
        state["step"] = 0
        if first:
            state["exp_avg"] = torch.zeros_like(grad)
        if factored:
            shape = grad.shape
            state["exp_avg_sq_row"] = grad.new_zeros(shape[:-1])
            state["exp_avg_sq_col"] = grad.new_zeros(shape[:-2] + shape[-1:])
        else:
            state["exp_avg_sq"] = torch.zeros_like(grad)
        state["RMS"] = 0
