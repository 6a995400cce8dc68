"""The decoder blocks' norms: RMSNorm with float32 statistics (Llama's) and `bound_norm`, a
norm module's `forward` with its tensors bound for the lean decode plans."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.blocks.functional import Fn
from tfx_core.modeling.torch.lean import trusted_forward

trusted_forward(nn.RMSNorm)


def upcast_rms_norm(
    hidden: torch.Tensor, weight: torch.Tensor, eps: float | None, normalized_shape: tuple
) -> torch.Tensor:
    """RMSNorm computed in float32, the weight applied in the input's dtype (Llama's order).

    Half-precision inputs take the reference's ops one by one (bitwise `F.rms_norm` of the
    float32 input, with fewer dispatches: a one-token decode step runs two per layer).
    """
    if hidden.dtype == torch.float32:
        return F.rms_norm(hidden, normalized_shape, weight, eps)
    if len(normalized_shape) != 1:
        normalized = F.rms_norm(hidden.float(), normalized_shape, None, eps)
        return weight * normalized.to(hidden.dtype)
    if eps is None:
        eps = torch.finfo(torch.float32).eps  # `F.rms_norm`'s default for a float32 input
    upcast = hidden.float()
    variance = upcast.pow(2).mean(-1, keepdim=True)
    return weight * (upcast * torch.rsqrt(variance + eps)).to(hidden.dtype)


@trusted_forward
class UpcastRMSNorm(nn.RMSNorm):
    """`nn.RMSNorm` normalising half-precision inputs in float32 (`norm_kind="rms_upcast"`)."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return upcast_rms_norm(hidden_states, self.weight, self.eps, self.normalized_shape)


def bound_norm(module: nn.Module) -> Fn | None:
    """A LayerNorm / RMSNorm's `forward` with its tensors bound (else None)."""
    if type(module) is UpcastRMSNorm:
        return partial(
            upcast_rms_norm,
            weight=module.weight,
            eps=module.eps,
            normalized_shape=module.normalized_shape,
        )
    if type(module) is nn.LayerNorm:
        return partial(
            torch.layer_norm,
            normalized_shape=module.normalized_shape,
            weight=module.weight,
            bias=module.bias,
            eps=module.eps,
        )
    if type(module) is nn.RMSNorm:
        return partial(
            F.rms_norm,
            normalized_shape=module.normalized_shape,
            weight=module.weight,
            eps=module.eps,
        )
    return None


__all__ = ["UpcastRMSNorm", "bound_norm", "upcast_rms_norm"]
