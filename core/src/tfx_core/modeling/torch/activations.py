"""Activation functions by the names configs use (`hidden_act`, `activation_function`).

Each is one fused torch op where torch has it. The reference's tanh-approximated GELUs
(`gelu_new`, `gelu_fast`, `gelu_accurate`, `gelu_python_tanh`) and `gelu_python` are formulas
written op by op; in float32 `F.gelu` computes them in one kernel and agrees to float rounding.
In float16 / bfloat16 each op rounds, so there they run op by op as the reference does: one
kernel's single rounding would move logits by a bfloat16 step and change greedy ids.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import trusted_forward

Activation = Callable[[torch.Tensor], torch.Tensor]


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(1.702 x), the CLIP-style approximation."""
    return x * torch.sigmoid(1.702 * x)


def relu_squared(x: torch.Tensor) -> torch.Tensor:
    return torch.square(F.relu(x))


def gelu_clipped(x: torch.Tensor) -> torch.Tensor:
    """GELU clipped to [-10, 10] (the reference's `gelu_10`, for quantization)."""
    return torch.clamp(F.gelu(x), -10.0, 10.0)


def identity(x: torch.Tensor) -> torch.Tensor:
    return x


_gelu_tanh = partial(F.gelu, approximate="tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_HALF = (torch.float16, torch.bfloat16)


def _tanh_cubic(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * torch.pow(x, 3.0)))


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """Tanh-approximated GELU; in half precision rounded op by op as `gelu_new` in the reference."""
    if x.dtype not in _HALF:
        return _gelu_tanh(x)
    return 0.5 * x * (1.0 + _tanh_cubic(x))


def gelu_python_tanh(x: torch.Tensor) -> torch.Tensor:
    """Tanh-approximated GELU, the reference's `gelu_python_tanh` operation order in half."""
    if x.dtype not in _HALF:
        return _gelu_tanh(x)
    return x * 0.5 * (1.0 + _tanh_cubic(x))


def gelu_fast(x: torch.Tensor) -> torch.Tensor:
    """Tanh-approximated GELU with the reference's `gelu_fast` constants and order in half."""
    if x.dtype not in _HALF:
        return _gelu_tanh(x)
    return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def gelu_python(x: torch.Tensor) -> torch.Tensor:
    """Exact GELU; in half precision the reference's `gelu_python` erf formula op by op."""
    if x.dtype not in _HALF:
        return F.gelu(x)
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


#: Largest float32 CPU tensor (elements) that `gelu` hands to torch's own kernel: below it
#: oneDNN's per-call cost (~6 µs) exceeds the whole computation, and torch's kernel stays on
#: one thread (its parallel grain is 32768 elements).
NATIVE_GELU_MAX = 8192
_gelu = F.gelu


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact GELU (`F.gelu`), through torch's own kernel for small float32 CPU tensors.

    ATen gives a contiguous float32 CPU input to oneDNN's eltwise primitive, whose set-up costs
    several times the whole GELU of a decode step's `[rows, ffn]` row (8 µs against 1-2 µs for
    `[1, 128]`); a non-contiguous input takes torch's kernel. So a small tensor is viewed as
    `(2, n/2)` with strides `(1, 2)` (the same memory, not contiguous), and the result, which
    the kernel lays out alike, viewed back: torch's kernel's values (oneDNN's differ from them
    by float rounding, <= 5e-7 here). Thread-safe (no global switch); autograd inputs, other
    dtypes and larger tensors take `F.gelu` as they are.
    """
    n = x.numel()
    if (
        4 <= n <= NATIVE_GELU_MAX
        and not n & 1
        and x.dtype is torch.float32
        and x.is_cpu
        and not x.requires_grad
        and x.is_contiguous()
    ):
        return _gelu(x.as_strided((2, n >> 1), (1, 2))).as_strided(x.shape, x.stride())
    return _gelu(x)


def training_gelu(x: torch.Tensor) -> torch.Tensor:
    """`gelu` for inputs autograd records: small float32 CPU tensors through torch's own kernel,
    forward and backward (its backward reads the same non-contiguous input).

    The `(2, n/2)` layout comes from plain views (`view` + `t`, four cheap autograd nodes;
    `as_strided`'s backward would cost more). A tiny BERT's `[128, 37]` GELU and its gradient
    cost ~12 µs this way against ~27 µs on oneDNN's primitive; its Trainer step (b8x16, one
    thread, interleaved runs) takes 3-6% less time, more than the kernels' difference alone.
    """
    n = x.numel()
    if (
        4 <= n <= NATIVE_GELU_MAX
        and not n & 1
        and x.dtype is torch.float32
        and x.is_cpu
        and x.is_contiguous()
    ):
        return _gelu(x.view(2, n >> 1).t()).t().reshape(x.shape)
    return _gelu(x)


def training_activation(fn: Activation) -> Activation:
    """What a layer records under autograd for activation `fn`: exact GELU (`F.gelu`) as
    `training_gelu` while fast paths are on, anything else as it is."""
    return training_gelu if fn is F.gelu and fast_paths_enabled() else fn


#: What a decode plan runs in place of an activation (same function, faster for small rows).
_DECODE_ACTIVATIONS: dict[Activation, Activation] = {F.gelu: gelu}


def decode_activation(fn: Activation) -> Activation:
    """The function a one-token decode plan binds for activation `fn`: `gelu` for `F.gelu`
    (its `[rows, ffn]` inputs are small), else `fn` itself."""
    return _DECODE_ACTIVATIONS.get(fn, fn)


ACTIVATIONS: dict[str, Activation] = {
    "gelu": F.gelu,
    "gelu_python": gelu_python,
    "gelu_new": gelu_new,
    "gelu_fast": gelu_fast,
    "gelu_accurate": gelu_new,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": gelu_python_tanh,
    "gelu_10": gelu_clipped,
    "quick_gelu": quick_gelu,
    "relu": F.relu,
    "relu2": relu_squared,
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "mish": F.mish,
    "linear": identity,
}


@trusted_forward
class ActivationModule(nn.Module):
    """An activation function as a module (for code that composes modules)."""

    def __init__(self, name: str, fn: Activation) -> None:
        super().__init__()
        self.name = name
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def activation_fn(name: str) -> Activation:
    """The activation as a plain function (no module call): for lean forward paths."""
    fn = ACTIVATIONS.get(str(name).lower())
    if fn is None:
        raise ConfigError(
            f"Unknown activation function {name!r}; supported: {', '.join(sorted(ACTIVATIONS))}."
        )
    return fn


def get_activation(name: str) -> nn.Module:
    """The activation module for a config's `hidden_act` / `activation_function` value."""
    return ActivationModule(str(name).lower(), activation_fn(name))
