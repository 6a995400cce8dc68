"""PyTorch base class and shared primitives (attention, activations, linear, losses, KV cache)."""

from tfx_core.modeling.torch.activations import activation_fn, get_activation
from tfx_core.modeling.torch.attention import attention, causal_mask, padding_mask
from tfx_core.modeling.torch.base import PreTrainedModel, meta_parameters, resolve_dtype
from tfx_core.modeling.torch.fused_optimizers import watch_fused_optimizers
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_core.modeling.torch.shifting import shift_tokens_right, shift_tokens_right_mbart

__all__ = [
    "Linear",
    "PreTrainedModel",
    "activation_fn",
    "attention",
    "causal_mask",
    "get_activation",
    "linear",
    "meta_parameters",
    "padding_mask",
    "resolve_dtype",
    "shift_tokens_right",
    "shift_tokens_right_mbart",
    "watch_fused_optimizers",
]
