"""Activation functions by the names configs use (`hidden_act`, `activation_function`).

Each is one fused torch op where torch has it. The reference's tanh-approximated GELUs
(`gelu_new`, `gelu_fast`, `gelu_accurate`, `gelu_pytorch_tanh`) are all the same formula written
in Python; `F.gelu(approximate="tanh")` computes it in one kernel and agrees to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
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

ACTIVATIONS: dict[str, Activation] = {
    "gelu": F.gelu,
    "gelu_python": F.gelu,
    "gelu_new": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
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
