"""The optimizer step and gradient clipping without torch's per-call Python layers.

On a small model most of `torch.optim.AdamW(fused=True).step()` is Python around the fused
kernel: a profiler scope, hook dispatch, grad-mode switches, a walk over every parameter's state
and a regrouping of the tensors by device and dtype. `OptimizerStep` binds the state tensors
once and calls the same kernel with the same arguments, so the update is bitwise the one
`step()` makes: the groups in one call while their settings agree, the per-parameter step
counters moved into one buffer (counted by one `add_`; saved apart, see
`unpooled_state_dict`). `GradClipper` runs `torch.nn.utils.clip_grad_norm_`'s ops in its order
for gradients of one device and dtype (bitwise the same norm and scaled gradients; on the CPU
no multiply when the coefficient is 1, and for float32 the coefficient computed in Python with
float32 rounding instead of three tensor ops).

Both are fast paths: they run only while nothing could tell. The step needs a plain `Adam` /
`AdamW` with `fused=True` (no amsgrad, maximize, capturable or differentiable), parameters of
one device and dtype with every gradient present, no step hook (the optimizer's or global), no
GradScaler attached, no profiler running, and `step` not patched on the class or the instance
(every function from `optimizer.step` down to Adam's own must be torch's); the plan is rebound
after `load_state_dict` or a change of the param groups. Otherwise, and with
`TFX_FAST_PATHS=0`, `optimizer.step()` runs (and with the switch off no plan is bound: the
step counters stay torch's).
"""

from __future__ import annotations

import inspect
import operator
import os
import struct
from collections.abc import Callable
from itertools import repeat
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import increment_version
from torch.optim import optimizer as _optimizer_module

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.fused_optimizers import other_global_post_hooks

_TORCH_CLIP = torch.nn.utils.clip_grad_norm_
_TORCH_OPTIM_DIR = os.path.dirname(_optimizer_module.__file__) + os.sep
_ADAM_STEP_CODE = inspect.unwrap(torch.optim.Adam.step).__code__


def _torch_step(function: Any) -> bool:
    """`function` and every function it wraps (`__wrapped__`) are torch's, ending at Adam's
    `step`: the profiler / grad-mode wrappers and the LR scheduler's call counter only."""
    for _ in range(16):
        function = getattr(function, "__func__", function)  # a bound method
        code = getattr(function, "__code__", None)
        if code is None or not code.co_filename.startswith(_TORCH_OPTIM_DIR):
            return False
        if code is _ADAM_STEP_CODE:
            return True
        function = getattr(function, "__wrapped__", None)
    return False


def _profiler_enabled() -> bool:
    return torch.autograd.profiler._is_profiler_enabled


class _Plan:
    """An optimizer's param groups bound as the fused kernel's tensor lists."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.state = optimizer.state
        self.param_groups = optimizer.param_groups
        self.group_params = [group["params"] for group in optimizer.param_groups]
        self.lists: list[tuple[list, list, list, list, Callable]] = []
        for group in optimizer.param_groups:
            params = list(group["params"])
            states = [optimizer.state[p] for p in params]
            kernel = torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
            self.lists.append(
                (
                    params,
                    [s["exp_avg"] for s in states],
                    [s["exp_avg_sq"] for s in states],
                    [s["step"] for s in states],
                    kernel,
                )
            )
        # every group's lists joined: one kernel call while the groups' settings agree (the
        # kernel updates each tensor on its own, so the split into calls does not change a bit)
        joined = tuple([t for entry in self.lists for t in entry[k]] for k in range(4))
        self.joined = (*joined, self.lists[0][4])
        self.params_flat, self.steps = joined[0], joined[3]
        self.bounds: list[tuple[int, int]] = []
        for params, *_ in self.lists:
            start = self.bounds[-1][1] if self.bounds else 0
            self.bounds.append((start, start + len(params)))
        self.step_buffer = _pool_steps(self.steps)

    @classmethod
    def build(cls, optimizer: torch.optim.Optimizer) -> _Plan | None:
        """The plan, or None while the optimizer does not qualify (state not created yet, ...)."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if not params or not all(_group_qualifies(group) for group in optimizer.param_groups):
            return None
        first = params[0]
        if any(p.device != first.device or p.dtype != first.dtype for p in params):
            return None
        if not first.dtype.is_floating_point:
            return None
        for p in params:
            state = optimizer.state.get(p)
            if not state or not {"step", "exp_avg", "exp_avg_sq"} <= state.keys():
                return None
            if p.grad is not None and p.grad.is_sparse:  # Embedding(sparse=True): torch raises
                return None
        return cls(optimizer)

    def current(self, optimizer: torch.optim.Optimizer) -> bool:
        """The optimizer's state and groups are still the ones bound (no `load_state_dict`)."""
        groups = optimizer.param_groups
        if optimizer.state is not self.state or groups is not self.param_groups:
            return False
        if len(groups) != len(self.group_params):
            return False
        for group, params in zip(groups, self.group_params, strict=True):
            if group["params"] is not params or not _group_qualifies(group):
                return False
        return True

    def run(self, grads: list[torch.Tensor]) -> None:
        """One step with every parameter's gradient, in the order of `params_flat`."""
        groups = self.param_groups
        with torch.no_grad():
            if self.step_buffer is not None:
                self.step_buffer.add_(1)  # every step counter: views of this buffer
            else:
                torch._foreach_add_(self.steps, 1)
            settings = _settings(groups[0])
            if all(_settings(group) == settings for group in groups[1:]):
                calls = [(groups[0], self.joined, grads)]
            else:
                calls = [
                    (group, entry, grads[start:end])
                    for group, entry, (start, end) in zip(
                        groups, self.lists, self.bounds, strict=True
                    )
                ]
            for group, (params, exp_avgs, exp_avg_sqs, steps, kernel), group_grads in calls:
                beta1, beta2 = group["betas"]
                kernel(
                    params,
                    group_grads,
                    exp_avgs,
                    exp_avg_sqs,
                    [],
                    steps,
                    amsgrad=False,
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=False,
                    grad_scale=None,
                    found_inf=None,
                )
            # the fused kernel writes the weights without bumping their in-place versions,
            # which caches of laid-out weights (oneDNN copies, lean plans) rely on
            increment_version(self.params_flat)


def _settings(group: dict[str, Any]) -> tuple:
    """What the fused kernel takes from a param group besides its tensors."""
    return (
        group["lr"],
        group["betas"],
        group["weight_decay"],
        group["eps"],
        group["decoupled_weight_decay"],
    )


def _pool_steps(steps: list[torch.Tensor]) -> torch.Tensor | None:
    """Move the step counters (0-d float32 CPU tensors) into one buffer, each tensor re-pointed
    in place at its own element, so that one `add_` counts every parameter's step (bitwise
    `_foreach_add_(steps, 1)`, a loop over the tensors on the CPU; one kernel on a GPU, where
    nothing is gained). The state keeps the same tensor objects and values;
    `unpooled_state_dict` copies them apart again for saving. None when they do not qualify."""
    for step in steps:
        if (
            type(step) is not torch.Tensor
            or step.dim() != 0
            or step.dtype != torch.float32
            or step.device.type != "cpu"
            or step.requires_grad
        ):
            return None
    with torch.no_grad():
        buffer = torch.stack(steps)
        storage = buffer.untyped_storage()
        for i, step in enumerate(steps):
            step.set_(storage, i, (), ())
    return buffer


def unpooled_state_dict(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """`optimizer.state_dict()` with each step counter that shares a buffer (`_pool_steps`)
    copied into its own tensor: the file `torch.save` writes is then the one torch's own state
    gives, byte for byte. The optimizer's state is left as it is."""
    state_dict = optimizer.state_dict()
    packed = state_dict["state"]
    for key, entry in packed.items():
        step = entry.get("step")
        if isinstance(step, torch.Tensor) and step.untyped_storage().nbytes() != step.nbytes:
            packed[key] = {**entry, "step": step.clone()}  # (the entry is the live state dict)
    return state_dict


def _group_qualifies(group: dict[str, Any]) -> bool:
    beta1, beta2 = group["betas"]
    return (
        group.get("fused") is True
        and not (
            group.get("amsgrad")
            or group.get("maximize")
            or group.get("capturable")
            or group.get("differentiable")
            or group.get("foreach")
        )
        and not isinstance(group["lr"], torch.Tensor)
        and not isinstance(beta1, torch.Tensor)
        and not isinstance(beta2, torch.Tensor)
    )


class OptimizerStep:
    """`optimizer.step()`, with the fused Adam(W) kernel called directly when that is
    invisible (see the module doc)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer
        self.eligible = type(optimizer) in (torch.optim.Adam, torch.optim.AdamW)
        self.plan: _Plan | None = None
        self.checked: tuple[Any, Any] | None = None  # the (class, instance) steps found torch's
        self.tried: tuple[int, int, int] | None = None  # the state last planned from

    def __call__(self) -> None:
        grads = self._lean_grads()
        if grads is None:
            optimizer = self.optimizer
            optimizer.step()
            if (
                self.eligible
                and (self.plan is None or not self.plan.current(optimizer))
                and fast_paths_enabled()
            ):
                # (re)plan once per state: after the first step, after `load_state_dict`
                tried = (id(optimizer.state), len(optimizer.state), id(optimizer.param_groups))
                if tried != self.tried:
                    self.tried = tried
                    self.plan = _Plan.build(optimizer)
            return
        self.plan.run(grads)
        self.optimizer._opt_called = True  # what the LR scheduler's step wrapper records

    def _lean_grads(self) -> list[torch.Tensor] | None:
        """Every parameter's gradient (the plan's order) when the lean step may run now."""
        optimizer, plan = self.optimizer, self.plan
        if (
            plan is None
            or not fast_paths_enabled()
            or optimizer._optimizer_step_pre_hooks
            or optimizer._optimizer_step_post_hooks
            or _optimizer_module._global_optimizer_pre_hooks
            or other_global_post_hooks()  # (ours, bumping versions, the step does itself)
            or getattr(optimizer, "grad_scale", None) is not None
            or getattr(optimizer, "found_inf", None) is not None
            or _profiler_enabled()
            or not self._torch_steps()
            or not plan.current(optimizer)
        ):
            return None
        grads = [p.grad for p in plan.params_flat]
        if any(map(operator.is_, grads, repeat(None))):
            return None  # torch's step skips a parameter without gradient
        return grads

    def _torch_steps(self) -> bool:
        optimizer = self.optimizer
        steps = (type(optimizer).step, optimizer.__dict__.get("step"))
        if steps != self.checked:
            if not (_torch_step(steps[0]) and (steps[1] is None or _torch_step(steps[1]))):
                return False
            self.checked = steps
        return True


class GradClipper:
    """`torch.nn.utils.clip_grad_norm_(params, max_norm)` over a fixed parameter list; its ops
    called directly when the parameters are plain tensors of one device and dtype and every
    gradient present is dense (the same norm and scaled gradients, bitwise)."""

    def __init__(self, params: list[torch.Tensor]) -> None:
        self.params = params
        first = params[0] if params else None
        self.uniform = first is not None and first.device.type in ("cpu", "cuda")
        self.cpu = first is not None and first.device.type == "cpu"
        for p in params:
            if type(p) not in (nn.Parameter, torch.Tensor) or (p.device, p.dtype) != (
                first.device,
                first.dtype,
            ):
                self.uniform = False

    def __call__(self, max_norm: float) -> torch.Tensor:
        params = self.params
        if self.uniform and fast_paths_enabled() and torch.nn.utils.clip_grad_norm_ is _TORCH_CLIP:
            grads = [p.grad for p in params if p.grad is not None]
            if grads and not any(map(_IS_SPARSE, grads)):
                with torch.no_grad():
                    norms = torch.stack(torch._foreach_norm(grads, 2.0))
                    total = torch.linalg.vector_norm(norms, 2.0)
                    if self.cpu and total.dtype == torch.float32:
                        # reading the value costs no sync: the coefficient in Python, rounded
                        # as float32 tensor ops round (three kernels fewer), and x * 1.0 is x
                        coefficient = _float32_coefficient(float(max_norm), total.item())
                        if coefficient != 1.0:
                            torch._foreach_mul_(grads, coefficient)
                        return total
                    coefficient = torch.clamp(float(max_norm) / (total + 1e-6), max=1.0)
                    if not (self.cpu and coefficient.item() == 1.0):
                        torch._foreach_mul_(grads, coefficient)
                return total
        return torch.nn.utils.clip_grad_norm_(params, max_norm)


_IS_SPARSE = operator.attrgetter("is_sparse")


def _to_float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _float32_coefficient(max_norm: float, total: float) -> float:
    """`clamp(max_norm / (total + 1e-6), max=1.0)` as torch computes it for a float32 `total`:
    `number / tensor` is `tensor.reciprocal() * number`; each operand and result rounded to
    float32 (a float32 sum, product or quotient computed in double and rounded once is the
    float32 operation's result)."""
    denominator = _to_float32(total + _to_float32(1e-6))
    return min(_to_float32(_to_float32(1.0 / denominator) * _to_float32(max_norm)), 1.0)
