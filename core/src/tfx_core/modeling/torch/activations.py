"""Activation functions by the names configs use, each a fused torch op (no Python math)."""

from __future__ import annotations

import torch
from torch import nn

from tfx_core.errors import ConfigError


class QuickGELU(nn.Module):
    """x * sigmoid(1.702 x), the CLIP-style approximation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


_ACTIVATIONS = {
    "gelu": lambda: nn.GELU(),
    "gelu_python": lambda: nn.GELU(),
    # The tanh approximation; the reference's gelu_new / gelu_fast are the same formula.
    "gelu_new": lambda: nn.GELU(approximate="tanh"),
    "gelu_fast": lambda: nn.GELU(approximate="tanh"),
    "gelu_pytorch_tanh": lambda: nn.GELU(approximate="tanh"),
    "quick_gelu": QuickGELU,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "mish": nn.Mish,
    "linear": nn.Identity,
}


def get_activation(name: str) -> nn.Module:
    """The activation module for a config's `hidden_act` / `activation_function` value."""
    factory = _ACTIVATIONS.get(str(name).lower())
    if factory is None:
        raise ConfigError(
            f"Unknown activation function {name!r}; supported: {', '.join(sorted(_ACTIVATIONS))}."
        )
    return factory()
