"""Attention with probability dropout on CPU as one autograd Function.

`F.scaled_dot_product_attention(..., dropout_p > 0)` on CPU leaves its fused kernel for the
math path, which draws the mask with `bernoulli_` and records an autograd node per op. Here
the forward is `softmax(q k^T * scale + mask)` on 3-D batched products (scale and mask in one
pass), dropped by the noise of `dropout.dropout_noise` (0, or `1 / (1 - p)` with probability
`1 - p`), and the product with `v`; the backward is written by hand (ATen's softmax backward,
the noise and the scale applied in place, plain batched products). The
semantics are SDPA's math path; the random stream differs, so a seed draws another mask.

Measured (torch 2.13, one thread, forward + backward through heads split from `[b, n, h*d]`,
interleaved medians; time vs SDPA with dropout 0.1): `[8, 4, 16, 8]` 0.91, a one-query
`[8, 4, 1, 8]` 0.95 (fixed costs dominate), `[16, 12, 64, 32]` 0.66 (17.8 -> 11.7 ms), with a
padding mask 0.69. Model steps (forward + backward, 1 thread): MiniLM-L6 b16x64 -5%, the tiny
BERT b8x16 -1% (within noise). The inputs are flattened to `[b * h, n, d]` under autograd
before the Function, so its backward reads the saved 3-D copies instead of copying again.

Saved for backward: the (flattened) inputs, the probabilities and the noise (8 bytes per
score in float32; SDPA's math path saves 9: probabilities, a bool mask, the dropped
probabilities, plus scaled copies of `q` and `k`). Rows masked with -inf everywhere get zero
weights, as SDPA's safe softmax gives (tfx's own masks use the finite minimum instead). Under `create_graph=True` the backward runs as differentiable
ops recomputing the probabilities from `q`, `k` (the mask a constant): double backward works.

`attention()` uses it when `uses_training_attention` holds: `0 < p < 1`, float32/float64
strided CPU tensors of 4 dimensions, an additive mask of the query's dtype (or none), fast
paths on, and no autocast, tracing, compiling, functorch transform, forward-mode AD or
`__torch_function__` override. Causal attention comes as an additive mask; grouped keys and
values (GQA) are repeated to the query heads first; bool masks keep SDPA.
"""

from __future__ import annotations

import torch
from torch.overrides import has_torch_function

from tfx_core.modeling.torch.dropout import dropout_noise
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled

_DTYPES = (torch.float32, torch.float64)


def uses_training_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    dropout_p: float,
) -> bool:
    """Whether `training_attention` may replace SDPA with dropout for these inputs."""
    dtype, strided = query.dtype, torch.strided
    if not (
        0.0 < dropout_p < 1.0
        and dtype in _DTYPES
        and key.dtype == dtype == value.dtype
        and query.is_cpu
        and key.is_cpu
        and value.is_cpu
        and query.layout == strided == key.layout == value.layout
        and query.dim() == 4 == key.dim() == value.dim()
        and (mask is None or (mask.dtype == dtype and mask.is_cpu and mask.layout == strided))
        and (mask is None or mask.dim() <= 4)
    ):
        return False
    q_shape, k_shape = query.shape, key.shape
    return (
        k_shape[:3] == value.shape[:3]
        and q_shape[0] == k_shape[0]
        and q_shape[3] == k_shape[3]
        and k_shape[1] > 0
        and q_shape[1] % k_shape[1] == 0
        and fast_paths_enabled()
        and not torch.is_autocast_enabled("cpu")
        and not has_torch_function(
            (query, key, value) if mask is None else (query, key, value, mask)
        )
        and torch.autograd.forward_ad._current_level < 0
        and not torch._C._are_functorch_transforms_active()
        and not (torch.jit.is_tracing() or torch.compiler.is_compiling())
    )


def _flat(x: torch.Tensor) -> torch.Tensor:
    """`[b, h, n, d]` -> `[b * h, n, d]` (a view when the layout allows, else a copy)."""
    return x.reshape(-1, x.shape[-2], x.shape[-1])


def _masked_rows(mask: torch.Tensor | None) -> torch.Tensor | None:
    """Where `mask` is -inf on a whole row (broadcastable to the scores), else None: SDPA gives
    those rows zero weights rather than softmax's NaN."""
    if mask is None or mask.shape[-1] == 0:
        return None
    rows = torch.isneginf(mask).all(-1, keepdim=True)
    return rows if bool(rows.any()) else None


def _softmax(scores: torch.Tensor, rows: torch.Tensor | None, heads: int) -> torch.Tensor:
    """Softmax over keys; `rows` (from `_masked_rows`) get zeros, with no NaN forward or back."""
    if rows is None:
        return torch.softmax(scores, -1)
    scores4 = scores.view(-1, heads, *scores.shape[1:]).masked_fill(rows, 0.0)
    return torch.softmax(scores4, -1).masked_fill(rows, 0.0).view(scores.shape)


class _DropoutAttention(torch.autograd.Function):
    """`dropout(softmax(q k^T * scale + mask)) @ v` over `[b * h, n, d]` tensors.

    `heads` unflattens the scores to `[b, h, q, k]` for the mask. The dropout noise is drawn
    as 0 or `1 / (1 - p)` (`dropout.dropout_noise`) and saved for the backward.
    """

    @staticmethod
    def forward(ctx, query, key, value, mask, heads: int, p: float, scale: float):  # type: ignore[override]
        scores = torch.bmm(query, key.transpose(1, 2))
        if mask is None:
            scores.mul_(scale)
        else:
            scores4 = scores.view(-1, heads, *scores.shape[1:])
            torch.add(mask, scores4, alpha=scale, out=scores4)  # one pass, scores' layout
        probs = _softmax(scores, _masked_rows(mask), heads)
        noise = dropout_noise(probs, p)
        ctx.save_for_backward(query, key, value, mask, probs, noise)
        ctx.heads, ctx.scale = heads, scale
        return torch.bmm(probs * noise, value)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        query, key, value, mask, probs, noise = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: gradients as differentiable ops
            return _differentiable_backward(grad, query, key, value, mask, noise, ctx)
        needs, scale = ctx.needs_input_grad, ctx.scale
        dq = dk = dv = dmask = None
        if needs[2]:
            dv = torch.bmm((probs * noise).transpose(1, 2), grad)
        if needs[0] or needs[1] or needs[3]:
            dropped = torch.bmm(grad, value.transpose(1, 2)).mul_(noise)
            ds = torch._softmax_backward_data(dropped, probs, -1, probs.dtype)  # d(scores)
            if needs[3]:
                dmask = ds.view(-1, ctx.heads, *ds.shape[1:]).sum_to_size(mask.shape)
                ds = ds * scale  # (dmask may be a view of ds)
            else:
                ds.mul_(scale)
            dq = torch.bmm(ds, key) if needs[0] else None
            dk = torch.bmm(ds.transpose(1, 2), query) if needs[1] else None
        return dq, dk, dv, dmask, None, None, None


def _differentiable_backward(grad, query, key, value, mask, noise, ctx):
    """The backward of `_DropoutAttention` from differentiable ops (for double backward)."""
    needs = ctx.needs_input_grad
    probs = torch.bmm(query, key.transpose(1, 2)) * ctx.scale
    if mask is not None:
        probs = (probs.view(-1, ctx.heads, *probs.shape[1:]) + mask).reshape(probs.shape)
    probs = _softmax(probs, _masked_rows(mask), ctx.heads)
    dv = torch.bmm((probs * noise).transpose(1, 2), grad) if needs[2] else None
    dd = torch.bmm(grad, value.transpose(1, 2)) * noise
    ds = probs * (dd - (dd * probs).sum(-1, keepdim=True))
    dmask = ds.view(-1, ctx.heads, *ds.shape[1:]).sum_to_size(mask.shape) if needs[3] else None
    ds = ds * ctx.scale
    dq = torch.bmm(ds, key) if needs[0] else None
    dk = torch.bmm(ds.transpose(1, 2), query) if needs[1] else None
    return dq, dk, dv, dmask, None, None, None


def training_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    dropout_p: float,
    scale: float | None = None,
) -> torch.Tensor:
    """`softmax(q k^T * scale + mask)`, dropped with probability `dropout_p`, times `v`.

    Tensors `[batch, heads, length, dim]`; `mask` additive, broadcastable to the scores;
    `scale` None means `1 / sqrt(dim)`. Callers check `uses_training_attention` first.
    """
    if scale is None:
        scale = query.shape[-1] ** -0.5
    batch, heads, q_len = query.shape[:3]
    # flattened under autograd: the Function saves the 3-D copies its products read, and a
    # double backward reaches the inputs through them
    out = _DropoutAttention.apply(
        _flat(query), _flat(key), _flat(value), mask, heads, float(dropout_p), float(scale)
    )
    return out.view(batch, heads, q_len, value.shape[-1])
