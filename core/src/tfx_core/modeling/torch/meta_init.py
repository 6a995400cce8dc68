"""Building a model cheaply for loading: parameters on the meta device, no weight init, no GC.

`from_pretrained` builds the module tree inside `meta_parameters()`, so no memory is allocated
and no random init runs for weights the checkpoint is about to replace, and inside
`gc_paused()`, so building thousands of objects does not trigger a full collection.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import threading
from collections.abc import Iterator
from typing import Any

from torch import nn

#: Set while a model is built for loading: parameters go to the meta device, init is skipped.
_LOADING: contextvars.ContextVar[bool] = contextvars.ContextVar("tfx_loading", default=False)


def is_loading() -> bool:
    """Whether the current thread is building a model for loading (inside `meta_parameters`)."""
    return _LOADING.get()


def _register_parameter(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
    if param is not None and _LOADING.get() and param.device.type != "meta":
        param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
    _ORIGINAL_REGISTER(module, name, param)


def _skipped_while_loading(init_fn: Any) -> Any:
    """Wrap a `torch.nn.init` function so it does nothing while a model is built for loading.

    Modules initialise themselves in `__init__` (`reset_parameters`); on meta tensors that is
    wasted work, and the first random op on a meta tensor imports torch's compiler (seconds).
    """

    @functools.wraps(init_fn)
    def wrapper(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        if _LOADING.get():
            return tensor
        return init_fn(tensor, *args, **kwargs)

    return wrapper


_ORIGINAL_REGISTER = nn.Module.register_parameter
_INIT_NAMES = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)
_ORIGINAL_INITS = {name: getattr(nn.init, name) for name in _INIT_NAMES}
_SKIPPING_INITS = {name: _skipped_while_loading(fn) for name, fn in _ORIGINAL_INITS.items()}
_PATCH_LOCK = threading.Lock()
_patch_depth = 0


def _install(patched: bool) -> None:
    nn.Module.register_parameter = _register_parameter if patched else _ORIGINAL_REGISTER  # type: ignore[method-assign]
    for name, fn in (_SKIPPING_INITS if patched else _ORIGINAL_INITS).items():
        setattr(nn.init, name, fn)


@contextlib.contextmanager
def meta_parameters() -> Iterator[None]:
    """Build modules with parameters on the meta device and every weight init skipped.

    Buffers stay real, so computed ones (position ids, rotary tables) are right without being
    in the checkpoint. `register_parameter` and the `torch.nn.init` functions are patched
    while any thread is inside this context; the patches check a context variable, so code
    running concurrently in other threads builds and initialises ordinary modules.
    """
    global _patch_depth
    token = _LOADING.set(True)
    with _PATCH_LOCK:
        if _patch_depth == 0:
            _install(True)
        _patch_depth += 1
    try:
        yield
    finally:
        _LOADING.reset(token)
        with _PATCH_LOCK:
            _patch_depth -= 1
            if _patch_depth == 0:
                _install(False)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a model is built and loaded.

    Building creates a few thousand objects and no garbage; in a process that has just imported
    torch that is enough to trigger a full collection over the ~200k objects of the imports
    (about 70 ms here, most of a bert-base load). The collector runs again as usual afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
