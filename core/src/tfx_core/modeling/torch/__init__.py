"""PyTorch base class and shared primitives (attention, activations, losses, KV cache)."""

from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.attention import attention, causal_mask, padding_mask
from tfx_core.modeling.torch.base import PreTrainedModel, meta_parameters, resolve_dtype

__all__ = [
    "PreTrainedModel",
    "attention",
    "causal_mask",
    "get_activation",
    "meta_parameters",
    "padding_mask",
    "resolve_dtype",
]
