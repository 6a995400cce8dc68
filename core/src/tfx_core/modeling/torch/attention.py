"""The shared attention primitive: fused SDPA by default, an eager path for weights.

Tensors are `[batch, heads, seq, head_dim]`. Masks are additive floats broadcastable to
`[batch, heads, q_len, k_len]` (0 to keep, a large negative to drop); a large finite negative
rather than -inf keeps fully masked rows (padding queries) free of NaN.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def padding_mask(
    attention_mask: torch.Tensor | None,
    dtype: torch.dtype,
    query_length: int | None = None,
) -> torch.Tensor | None:
    """Additive `[batch, 1, 1|q, k]` mask from a `[batch, k]` 0/1 mask; None if nothing masked."""
    if attention_mask is None:
        return None
    if attention_mask.dim() == 4:
        return attention_mask.to(dtype)
    if bool(attention_mask.all()):
        return None  # no padding: let the fused kernel run unmasked
    mask = attention_mask[:, None, None, :].to(dtype)
    mask = (1.0 - mask) * torch.finfo(dtype).min
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

    With a KV cache the queries are the last `query_length` positions of `key_length`; padded
    keys from a `[batch, k]` 0/1 `attention_mask` are dropped as well.
    """
    minimum = torch.finfo(dtype).min
    keep = torch.ones(query_length, key_length, dtype=torch.bool, device=device).tril(
        diagonal=key_length - query_length
    )
    mask = torch.zeros(query_length, key_length, dtype=dtype, device=device)
    mask = mask.masked_fill(~keep, minimum)[None, None]
    if attention_mask is not None:
        padded = attention_mask[:, None, None, :key_length].to(torch.bool).logical_not()
        mask = mask.masked_fill(padded, minimum)
    return mask


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
    """Scaled dot-product attention; returns `(output, weights or None)`.

    Dispatches to `torch.nn.functional.scaled_dot_product_attention` unless attention weights
    are asked for (`output_attentions=True`) or `implementation="eager"`.
    """
    q_len, k_len = query.shape[-2], key.shape[-2]
    if is_causal and (attention_mask is not None or q_len != k_len):
        causal = causal_mask(None, q_len, k_len, query.dtype, query.device)
        attention_mask = causal if attention_mask is None else attention_mask + causal
        is_causal = False
    if output_attentions or implementation == "eager":
        if scale is None:
            scale = 1.0 / math.sqrt(query.shape[-1])
        scores = torch.matmul(query, key.transpose(-1, -2)) * scale
        if is_causal:
            scores = scores + causal_mask(None, q_len, k_len, scores.dtype, scores.device)
        if attention_mask is not None:
            scores = scores + attention_mask
        weights = torch.softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p, training=True)
        return torch.matmul(weights, value), weights
    output = F.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attention_mask,
        dropout_p=dropout_p,
        is_causal=is_causal,
        scale=scale,
    )
    return output, None
