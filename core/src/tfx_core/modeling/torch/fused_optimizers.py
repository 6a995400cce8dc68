"""Keep weights' in-place versions true after torch's fused optimizer steps.

Caches of weights laid out for a faster product (oneDNN copies, lean plans, FFT kernels) are
rebuilt when a weight's in-place version changes. `torch.optim` optimizers built with
`fused=True` (e.g. `AdamW(fused=True)`, the reference Trainer's default optimizer) update the
weights in a kernel that leaves those versions as they were, so an evaluation after training
would reuse the weights of before. `watch_fused_optimizers` registers one global post-step
hook that bumps the versions of a fused group's parameters; other optimizers (foreach,
for-loop) bump them themselves and are left alone.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.graph import increment_version
from torch.optim import optimizer as _optimizer_module
from torch.optim.optimizer import register_optimizer_step_post_hook

_HANDLE: list[Any] = []


def _after_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    params = [p for group in optimizer.param_groups if group.get("fused") for p in group["params"]]
    if params:
        increment_version(params)


def other_global_post_hooks() -> bool:
    """Whether a global optimizer post-step hook other than this module's is registered (a
    lean step that skips `optimizer.step()` must then take it, so that the hook runs)."""
    hooks = _optimizer_module._global_optimizer_post_hooks
    return len(hooks) > (1 if _HANDLE and _HANDLE[0].id in hooks else 0)


def watch_fused_optimizers() -> None:
    """Register the post-step hook once per process (idempotent)."""
    if not _HANDLE:
        _HANDLE.append(register_optimizer_step_post_hook(_after_step))


watch_fused_optimizers()
