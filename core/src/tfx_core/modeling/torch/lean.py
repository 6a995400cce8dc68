"""When a model may run its submodules' math directly instead of calling the modules.

Calling an `nn.Module` costs microseconds of Python (hook bookkeeping, attribute lookups
through `__getattr__`); a small model makes dozens of such calls per forward, which is most of
its time on CPU. A model can bind its tensors once into a "lean plan" and run plain tensor ops
at inference, but only while nothing observable would change:

- no hook on any module of the subtree, and no global module hook;
- no `forward` replaced on an instance (e.g. accelerate's offload hooks), no `module.compile()`;
- every module still of the class the plan was built for, and every class's `forward` still the
  function the plan reproduces: a subclass that overrides `forward` (an adapter), or a
  class-level patch (`BertLayer.forward = my_forward`, before or after the plan was built), sends
  the call through the modules (see `trusted_forward` / `is_trusted`);
- none in training mode, autograd off, fast paths not switched off (`TFX_FAST_PATHS=0`);
- no module or parameter registered anywhere since the plan was built (a PEFT adapter swapped
  in, `tie_weights`, `resize_token_embeddings`): a process-wide counter, bumped by PyTorch's
  module/parameter registration hooks, tells that in O(1).

`LeanGuard` checks all of this in a few C-level passes over the subtree's modules, so it can
run on every forward: `same_structure()` says whether a cached plan (or the finding that none
applies) is still current, `unobserved()` whether running it now is invisible. The pass over
the modules' hook dictionaries (four per module) is skipped while no hook handle has been
created anywhere since the subtree was last seen without hooks: every PyTorch hook
registration (per module or global) creates a `RemovableHandle`, whose process-wide id counter
then moves. Parameter *data* changes (`load_state_dict`, `.to()`) need no check when the plan
binds the Parameter objects themselves.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from itertools import repeat
from typing import TypeVar

import torch
from torch import nn
from torch.nn.modules import module as _module_internals
from torch.utils.hooks import RemovableHandle

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled

_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)
_forward = operator.attrgetter("forward")
_ModuleClass = TypeVar("_ModuleClass", bound=type)

#: class -> the `forward` whose math a lean plan reproduces for instances of it (and of
#: subclasses that do not override it).
_TRUSTED: dict[type, Callable] = {}


def trusted_forward(cls: _ModuleClass) -> _ModuleClass:
    """Class decorator: this class's `forward` is math a lean plan may reproduce.

    Core blocks are marked; a plugin marks a layer of its own when it declares a lean layout for
    it (the conformance kit then checks that the fast path equals the module path).
    """
    _TRUSTED[cls] = cls.forward
    return cls


def is_trusted(module: object) -> bool:
    """The module's class runs the `forward` that was trusted for it (or its nearest ancestor).

    False for a subclass overriding `forward`, and for any class-level patch of `forward`.
    """
    cls = type(module)
    forward = cls.forward
    for klass in cls.__mro__:
        trusted = _TRUSTED.get(klass)
        if trusted is not None:
            return trusted is forward
    return False


def all_trusted(root: nn.Module) -> bool:
    """Every module of the subtree runs a trusted `forward` (see `is_trusted`)."""
    return all(map(is_trusted, root.modules()))


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
        self.distinct_classes = tuple(dict.fromkeys(self.classes))  # layers repeat classes
        self.forwards = tuple(map(_forward, self.distinct_classes))
        self.instance_dicts = tuple(module.__dict__ for module in self.modules)
        self.hook_free_at = -1  # `RemovableHandle.next_id` when last seen without hooks
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
        """No module or parameter registered since; every class and class `forward` unchanged."""
        return (
            _REGISTRATIONS.count == self.registrations
            and tuple(map(type, self.modules)) == self.classes
            and all(map(operator.is_, map(_forward, self.distinct_classes), self.forwards))
        )

    def unobserved(self) -> bool:
        """No hook, instance `forward`, compiled module, training mode, autograd; switch on."""
        return not torch.is_grad_enabled() and fast_paths_enabled() and self.quiet()

    def quiet(self, training: bool = False) -> bool:
        """`unobserved()` less its first two tests, for callers that made them already (the
        switch reads the environment: once per forward is enough). `training`: every module
        in training mode instead of none (a training plan's test)."""
        dicts = self.instance_dicts  # read directly: `nn.Module.__getattr__` slows `getattr`
        modes = map(dict.get, dicts, repeat("training"))
        return self.hook_free() and not (
            (not all(modes) if training else any(modes))
            or any(map(dict.get, dicts, repeat("_compiled_call_impl")))  # `module.compile()`
            or any(map(operator.contains, dicts, repeat("forward")))
        )

    def settled(self) -> bool:
        """O(1): no hook handle created and no module or parameter registered anywhere since the
        subtree was last seen without hooks (for callers that ran the full checks once and only
        need to notice a hook or a new module appearing since)."""
        return (
            RemovableHandle.next_id == self.hook_free_at
            and _REGISTRATIONS.count == self.registrations
        )

    def hook_free(self) -> bool:
        """No module or global hook on the subtree (rescanned only after a hook registration)."""
        handles = RemovableHandle.next_id
        if handles == self.hook_free_at:
            return True
        if global_hooks_registered() or any(self.hook_dicts):
            return False  # not cached: once the hook is removed, the next call sees it
        self.hook_free_at = handles
        return True


def exactly(module: object, *classes: type) -> bool:
    """`type(module) in classes`: subclasses may change the math, so they do not qualify."""
    return type(module) in classes


for _torch_class in (
    nn.Linear,
    nn.LayerNorm,
    nn.Embedding,
    nn.Dropout,
    nn.ModuleList,
    nn.Identity,
    nn.Tanh,
    nn.ReLU,
    nn.GELU,
):
    trusted_forward(_torch_class)
