"""The shared attention primitive: fused SDPA by default, an eager path for weights.

Tensors are `[batch, heads, seq, head_dim]`. Masks are additive floats broadcastable to
`[batch, heads, q_len, k_len]` (0 to keep, a large negative to drop). Masked positions use the
dtype's most negative finite value rather than -inf, and sums of masks are clamped to it, so a
fully masked row (a padding query that sees only padding) gives finite values, never NaN.

The fused kernel stays the CPU float32 path at every length: measured against it (torch 2.13,
one thread, 32 to 1024 keys, with and without a padding mask), the plain sequence of `baddbmm`,
in-place softmax and `bmm` (whole batch, per image with the scores kept in cache, contiguous or
strided heads) and grouped oneDNN convolutions were 4-70% slower; the two products alone take
as long as the fused kernel (K = 64 products run at about 60% of the core's peak).

With dropout (training), SDPA leaves the fused kernel on CPU; float32/float64 CPU calls then
run `training_attention` instead (one autograd Function, a cheaper mask draw; see there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.training_attention import training_attention, uses_training_attention


def padding_mask(
    attention_mask: torch.Tensor | None,
    dtype: torch.dtype,
    query_length: int | None = None,
) -> torch.Tensor | None:
    """Additive `[batch, 1, 1|q, k]` mask from a `[batch, k]` 0/1 mask; None if nothing masked.

    A 4D mask is taken as already additive and only cast. Returning None when every position
    is kept lets the fused kernel run without a mask at all.
    """
    if attention_mask is None:
        return None
    if attention_mask.dim() == 4:
        return attention_mask.to(dtype)
    if bool(attention_mask.all()):
        return None
    keep = attention_mask[:, None, None, :].to(torch.bool)
    mask = torch.zeros(keep.shape, dtype=dtype, device=attention_mask.device)
    mask = mask.masked_fill_(~keep, torch.finfo(dtype).min)
    if query_length is not None:
        mask = mask.expand(-1, -1, query_length, -1)
    return mask


def causal_mask(
    attention_mask: torch.Tensor | None,
    query_length: int,
    key_length: int,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """Additive `[batch|1, 1, q, k]` causal mask, aligned so the last query sees every key.

    With a KV cache the queries are the last `query_length` of `key_length` positions; padded
    keys from a `[batch, k]` 0/1 `attention_mask` are dropped as well.
    """
    minimum = torch.finfo(dtype).min
    keep = torch.ones(query_length, key_length, dtype=torch.bool, device=device).tril(
        diagonal=key_length - query_length
    )
    mask = torch.zeros(query_length, key_length, dtype=dtype, device=device)
    mask = mask.masked_fill_(~keep, minimum)[None, None]
    if attention_mask is not None:
        padded = attention_mask[:, None, None, :key_length].to(torch.bool).logical_not()
        mask = mask.masked_fill(padded, minimum)
    return mask


def _combine(mask: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """Sum of two additive masks, clamped so that min + min stays finite."""
    return (mask + other).clamp_min_(torch.finfo(mask.dtype).min)


def attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    attention_mask: torch.Tensor | None = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    scale: float | None = None,
    output_attentions: bool = False,
    implementation: str = "sdpa",
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scaled dot-product attention; returns `(output [b, h, q, d], weights or None)`.

    Dispatches to `torch.nn.functional.scaled_dot_product_attention` unless the weights are
    asked for (`output_attentions=True`) or `implementation="eager"`. `is_causal` works with
    query length != key length (the queries are the last positions, as with a KV cache) and
    combines with `attention_mask`. Keys and values may have fewer heads than the queries, each
    shared by a group of query heads (GQA): the fused kernel reads them in place (`enable_gqa`,
    bitwise the result over repeated heads), the eager path repeats them. With `dropout_p > 0`
    on CPU, `training_attention` replaces SDPA when `uses_training_attention` allows.
    """
    groups = query.shape[-3] // key.shape[-3] if query.dim() > 2 else 1
    q_len, k_len = query.shape[-2], key.shape[-2]
    if is_causal and q_len == 1:
        is_causal = False  # one query at the end sees every key
    eager = output_attentions or implementation == "eager"
    if is_causal and (eager or attention_mask is not None or q_len != k_len):
        causal = causal_mask(None, q_len, k_len, query.dtype, query.device)
        attention_mask = causal if attention_mask is None else _combine(attention_mask, causal)
        is_causal = False
    if not eager:
        if dropout_p > 0.0 and uses_training_attention(
            query, key, value, attention_mask, dropout_p
        ):  # CPU training: one autograd node with a cheaper mask draw
            if is_causal:
                attention_mask = causal_mask(None, q_len, k_len, query.dtype, query.device)
            if groups > 1:
                key, value = key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)
            return training_attention(query, key, value, attention_mask, dropout_p, scale), None
        output = F.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=attention_mask,
            dropout_p=dropout_p,
            is_causal=is_causal,
            scale=scale,
            **({"enable_gqa": True} if groups > 1 else {}),
        )
        return output, None
    if groups > 1:
        key, value = key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)
    if scale is None:
        scale = query.shape[-1] ** -0.5
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if attention_mask is not None:
        scores = _combine(scores, attention_mask)
    weights = torch.softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p, training=True)
    return torch.matmul(weights, value), weights
