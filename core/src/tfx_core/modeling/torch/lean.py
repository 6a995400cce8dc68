"""When a model may run its submodules' math directly instead of calling the modules.

Calling an `nn.Module` costs microseconds of Python (hook bookkeeping, attribute lookups
through `__getattr__`); a small model makes dozens of such calls per forward, which is most of
its time on CPU. A model can bind its tensors once into a "lean plan" and run plain tensor ops
at inference, but only while nothing observable would change:

- no hook on any module of the subtree, and no global module hook;
- no `forward` replaced on an instance (e.g. accelerate's offload hooks), no `module.compile()`;
- every module still of the class the plan was built for (subclasses and adapters may change
  the math; the builder checks the classes it supports), none in training mode, autograd off;
- no module or parameter registered anywhere since the plan was built (a PEFT adapter swapped
  in, `tie_weights`, `resize_token_embeddings`): a process-wide counter, bumped by PyTorch's
  module/parameter registration hooks, tells that in O(1).

`LeanGuard` checks all of this in a few C-level passes over the subtree's modules, so it can
run on every forward: `same_structure()` says whether a cached plan (or the finding that none
applies) is still current, `unobserved()` whether running it now is invisible. Parameter *data* changes (`load_state_dict`, `.to()`) need no
check when the plan binds the Parameter objects themselves.
"""

from __future__ import annotations

import operator
from itertools import repeat

import torch
from torch import nn
from torch.nn.modules import module as _module_internals

_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)
_training = operator.attrgetter("training")
_compiled = operator.attrgetter("_compiled_call_impl")


class _RegistrationCounter:
    """Counts module and parameter registrations process-wide (installed on first use)."""

    def __init__(self) -> None:
        self.count = 0
        self.installed = False

    def install(self) -> None:
        if not self.installed:
            _module_internals.register_module_module_registration_hook(self._bump)
            _module_internals.register_module_parameter_registration_hook(self._bump)
            self.installed = True

    def _bump(self, module: nn.Module, name: str, value: object) -> None:
        self.count += 1  # returning None keeps the registered value unchanged


_REGISTRATIONS = _RegistrationCounter()


def global_hooks_registered() -> bool:
    """Whether a hook registered with `torch.nn.modules.module.register_module_*` exists."""
    return any(getattr(_module_internals, name, None) for name in _GLOBAL_HOOKS)


class LeanGuard:
    """Remembers a module subtree as it was when a lean plan was built from it."""

    def __init__(self, root: nn.Module) -> None:
        _REGISTRATIONS.install()
        self.registrations = _REGISTRATIONS.count
        self.modules = tuple(root.modules())
        self.classes = tuple(map(type, self.modules))
        self.instance_dicts = tuple(module.__dict__ for module in self.modules)
        self.hook_dicts = tuple(
            hooks
            for module in self.modules
            for hooks in (
                module._forward_hooks,
                module._forward_pre_hooks,
                module._backward_hooks,
                module._backward_pre_hooks,
            )
        )

    def same_structure(self) -> bool:
        """No module or parameter registered anywhere since, and every class unchanged."""
        return _REGISTRATIONS.count == self.registrations and (
            tuple(map(type, self.modules)) == self.classes
        )

    def unobserved(self) -> bool:
        """No hook, instance `forward`, compiled module, training mode or autograd."""
        return not (
            torch.is_grad_enabled()
            or global_hooks_registered()
            or any(self.hook_dicts)
            or any(map(_training, self.modules))
            or any(map(_compiled, self.modules))
            or any(map(operator.contains, self.instance_dicts, repeat("forward")))
        )


def exactly(module: object, *classes: type) -> bool:
    """`type(module) in classes`: subclasses may change the math, so they do not qualify."""
    return type(module) in classes
