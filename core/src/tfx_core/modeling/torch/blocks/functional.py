"""The math of the standard blocks, written once, over callables.

Each function takes the sub-layers it applies as callables. A block's `forward` passes its
modules (so hooks, adapters and patches run); a lean plan passes the same weights bound to
plain tensor functions. Both run these functions, so there is one copy of the math: editing one
here changes both paths, and the fast path can never silently skip an edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from tfx_core.modeling.torch.attention import attention
from tfx_core.modeling.torch.masks import sliding_window_bias

Fn = Callable[[torch.Tensor], torch.Tensor]


def split_heads(x: torch.Tensor, batch: int, length: int, heads: int) -> torch.Tensor:
    """`[batch, length, heads * dim]` (or `[batch * length, ...]` rows) -> `[batch, heads, length, dim]`."""
    if length == 1:  # the transposed view's values in one op (a decode step's many heads)
        return x.view(batch, heads, 1, -1)
    return x.view(batch, length, heads, -1).transpose(1, 2)


def split_fused_heads(
    qkv: torch.Tensor, batch: int, length: int, heads: int, parts: int = 3
) -> tuple[torch.Tensor, ...]:
    """A fused `[..., parts * heads * dim]` projection -> `parts` tensors `[batch, heads, length, dim]`."""
    return qkv.view(batch, length, parts, heads, -1).permute(2, 0, 3, 1, 4).unbind(0)


def merge_heads(context: torch.Tensor) -> torch.Tensor:
    """`[batch, heads, length, dim]` -> `[batch, length, heads * dim]`."""
    batch, heads, length, dim = context.shape
    if length == 1:
        return context.reshape(batch, 1, heads * dim)
    return context.transpose(1, 2).reshape(batch, length, heads * dim)


def merge_heads_rows(context: torch.Tensor) -> torch.Tensor:
    """`[batch, heads, length, dim]` -> `[batch * length, heads * dim]` rows."""
    batch, heads, length, dim = context.shape
    if length == 1:
        return context.reshape(batch, heads * dim)
    return context.transpose(1, 2).reshape(batch * length, heads * dim)


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
    fresh: bool = False,
) -> torch.Tensor:
    """Post-norm residual: `norm(dropout(dense(hidden)) + residual)`.

    `fresh`: `dense` returns a new tensor no one else holds and autograd is off (a lean plan's
    bound product), so the residual is added into it in place, saving an allocation.
    """
    hidden = dense(hidden)
    if dropout is not None:
        hidden = dropout(hidden)
    return norm(hidden.add_(residual) if fresh else hidden + residual)


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


# ---------------------------------------------------------------- decoder blocks (pre-norm)
#: The projections of a self-attention: flat `(query, key, value)`, or one fused tensor
#: `[..., 3 * hidden]` when keys and values have as many heads as queries.
QKV = Callable[[torch.Tensor], "torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]"]


def repeat_kv(states: torch.Tensor, groups: int) -> torch.Tensor:
    """`[batch, kv_heads, length, dim]` -> `[batch, kv_heads * groups, length, dim]` (GQA)."""
    if groups == 1:
        return states
    batch, kv_heads, length, dim = states.shape
    expanded = states[:, :, None].expand(batch, kv_heads, groups, length, dim)
    return expanded.reshape(batch, kv_heads * groups, length, dim)


def causal_self_attention(
    hidden: torch.Tensor,
    *,
    qkv: QKV,
    output: Fn,
    heads: int,
    kv_heads: int,
    layer_idx: int,
    cache: Any = None,
    bias: torch.Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    rotate: Callable[..., tuple[torch.Tensor, torch.Tensor]] | None = None,
    positions: Any = None,
    upcast: bool = False,
    dropout_p: float = 0.0,
    dropout: Fn | None = None,
    head_mask: torch.Tensor | None = None,
    output_attentions: bool = False,
    implementation: str = "sdpa",
    window: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Self-attention of a decoder layer with a KV cache: `(output like hidden, weights)`.

    `hidden` is `[batch, length, hidden]` (or `[batch, hidden]` rows for one new token each);
    `qkv` returns the projections (see `QKV`); `rotate(query, key, positions)`
    applies rotary embeddings; keys and values of `kv_heads` heads are shared by groups of
    query heads (GQA). `upcast` computes the scores in float32 (GPT-2's
    `reorder_and_upcast_attn`). `window` limits this layer to the `window` most recent
    positions (GPT-Neo's local layers; `masks.sliding_window_bias`).
    """
    batch = hidden.shape[0]
    length = hidden.shape[1] if hidden.dim() == 3 else 1
    projected = qkv(hidden)
    if isinstance(projected, torch.Tensor):  # one fused projection, as many key as query heads
        query, key, value = split_fused_heads(projected, batch, length, heads)
    else:
        query = split_heads(projected[0], batch, length, heads)
        key = split_heads(projected[1], batch, length, kv_heads)
        value = split_heads(projected[2], batch, length, kv_heads)
    if rotate is not None:
        query, key = rotate(query, key, positions)
    if window is not None:
        past = cache.get_seq_length(layer_idx) if cache is not None else 0
        bias, is_causal = sliding_window_bias(bias, is_causal, window, past, length, hidden)
    if cache is not None:
        key, value = cache.update(key, value, layer_idx)
        if cache.windows is not None and bias is not None and bias.shape[-1] != key.shape[-2]:
            start = cache.key_start(layer_idx)  # a sliding layer returned its window's keys
            bias = bias[..., start : start + key.shape[-2]]
    if kv_heads != heads and head_mask is not None:  # (else `attention` reads grouped heads)
        key, value = repeat_kv(key, heads // kv_heads), repeat_kv(value, heads // kv_heads)
    dtype = query.dtype
    if upcast and dtype != torch.float32:
        query, key, value = query.float(), key.float(), value.float()
        bias = bias.float() if bias is not None else None
    context, weights = multi_head_context(
        query,
        key,
        value,
        bias=bias,
        is_causal=is_causal,
        dropout_p=dropout_p,
        scale=scale,
        head_mask=head_mask,
        output_attentions=output_attentions,
        implementation=implementation,
    )
    if context.dtype != dtype:
        context = context.to(dtype)
    out = output(context.reshape(*hidden.shape[:-1], -1))
    return (dropout(out) if dropout is not None else out), weights


def feed_forward(
    hidden: torch.Tensor,
    up: Fn,
    activation: Fn,
    down: Fn,
    gate: Fn | None = None,
    dropout: Fn | None = None,
) -> torch.Tensor:
    """`down(activation(up(x)))`, or gated `down(activation(gate(x)) * up(x))` (Llama-style)."""
    if gate is None:
        inner = activation(up(hidden))
    else:
        inner = activation(gate(hidden)) * up(hidden)
    out = down(inner)
    return dropout(out) if dropout is not None else out


def pre_norm_layer(
    hidden: torch.Tensor,
    input_norm: Fn,
    attention: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]],
    post_norm: Fn,
    mlp: Fn,
    cross_attention: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
    | None = None,
    cross_norm: Fn | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """A pre-norm decoder layer: `x + attention(norm(x))`, optional cross-attention, `+ mlp`.

    Returns `(hidden, self-attention weights, cross-attention weights)`.
    """
    attended, weights = attention(input_norm(hidden))
    hidden = hidden + attended
    cross_weights = None
    if cross_attention is not None:
        crossed, cross_weights = cross_attention(cross_norm(hidden))
        hidden = hidden + crossed
    return hidden + mlp(post_norm(hidden)), weights, cross_weights


def parallel_residual_layer(
    hidden: torch.Tensor,
    input_norm: Fn,
    attention: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]],
    post_norm: Fn | None,
    mlp: Fn,
    cross_attention: None = None,
    cross_norm: None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, None]:
    """GPT-J's layer: attention and MLP read the same `norm(x)`; `x + attention + mlp`.

    `post_norm` is unused (GPT-J has one norm per layer); the sum is ordered as the reference's.
    """
    normed = input_norm(hidden)
    attended, weights = attention(normed)
    return attended + mlp(normed) + hidden, weights, None


def post_norm_layer(
    hidden: torch.Tensor,
    input_norm: Fn,
    attention: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]],
    post_norm: Fn,
    mlp: Fn,
    cross_attention: None = None,
    cross_norm: None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, None]:
    """A post-norm causal layer (OpenAI GPT): `h = norm1(x + attention(x))`, `norm2(h + mlp(h))`."""
    attended, weights = attention(hidden)
    hidden = input_norm(hidden + attended)
    return post_norm(hidden + mlp(hidden)), weights, None
