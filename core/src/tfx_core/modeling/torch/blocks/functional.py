"""The math of the standard blocks, written once, over callables.

Each function takes the sub-layers it applies as callables. A block's `forward` passes its
modules (so hooks, adapters and patches run); a lean plan passes the same weights bound to
plain tensor functions. Both run these functions, so there is one copy of the math: editing one
here changes both paths, and the fast path can never silently skip an edit.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from tfx_core.modeling.torch.attention import attention

Fn = Callable[[torch.Tensor], torch.Tensor]


def split_heads(x: torch.Tensor, batch: int, length: int, heads: int) -> torch.Tensor:
    """`[batch, length, heads * dim]` (or `[batch * length, ...]` rows) -> `[batch, heads, length, dim]`."""
    return x.view(batch, length, heads, -1).transpose(1, 2)


def split_fused_heads(
    qkv: torch.Tensor, batch: int, length: int, heads: int, parts: int = 3
) -> tuple[torch.Tensor, ...]:
    """A fused `[..., parts * heads * dim]` projection -> `parts` tensors `[batch, heads, length, dim]`."""
    return qkv.view(batch, length, parts, heads, -1).permute(2, 0, 3, 1, 4).unbind(0)


def merge_heads(context: torch.Tensor) -> torch.Tensor:
    """`[batch, heads, length, dim]` -> `[batch, length, heads * dim]`."""
    batch, heads, length, dim = context.shape
    return context.transpose(1, 2).reshape(batch, length, heads * dim)


def multi_head_context(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    scale: float | None = None,
    head_mask: torch.Tensor | None = None,
    output_attentions: bool = False,
    implementation: str = "sdpa",
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Attention over `[batch, heads, length, dim]` heads; `(context [batch, length, hidden], weights)`.

    `head_mask` multiplies each head's weights (as the reference does; eager only).
    """
    context, weights = attention(
        query,
        key,
        value,
        attention_mask=bias,
        is_causal=is_causal,
        dropout_p=dropout_p,
        scale=scale,
        output_attentions=output_attentions or head_mask is not None,
        implementation=implementation,
    )
    if head_mask is not None:
        weights = weights * head_mask
        context = torch.matmul(weights, value)
    return merge_heads(context), weights


def residual_norm(
    hidden: torch.Tensor,
    residual: torch.Tensor,
    dense: Fn,
    norm: Fn,
    dropout: Fn | None = None,
) -> torch.Tensor:
    """Post-norm residual: `norm(dropout(dense(hidden)) + residual)`."""
    hidden = dense(hidden)
    if dropout is not None:
        hidden = dropout(hidden)
    return norm(hidden + residual)


def activated(hidden: torch.Tensor, dense: Fn, activation: Fn) -> torch.Tensor:
    """The first feed-forward projection and its activation: `activation(dense(hidden))`."""
    return activation(dense(hidden))


def pre_norm_residual(
    hidden: torch.Tensor, norm: Fn, sublayer: Fn, dropout: Fn | None = None
) -> torch.Tensor:
    """Pre-norm residual: `hidden + dropout(sublayer(norm(hidden)))`."""
    out = sublayer(norm(hidden))
    if dropout is not None:
        out = dropout(out)
    return hidden + out
