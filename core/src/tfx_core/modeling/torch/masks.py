"""The one attention-bias builder every model uses: padding, causal, past length, dtype.

A model turns its `attention_mask` argument into what the attention primitive wants once per
forward, here. The result is `(bias, is_causal)`: an additive float mask broadcastable to
`[batch, heads, query, key]` (0 keeps, the dtype's most negative value drops) or None when
nothing needs masking, and whether the fused kernel should apply the causal rule itself. Keeping
the mask None whenever possible lets SDPA run its unmasked (fastest) kernels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tfx_core.errors import ConfigError


def attention_bias(
    attention_mask: torch.Tensor | None,
    *,
    query_length: int,
    dtype: torch.dtype,
    device: torch.device,
    causal: bool = False,
    past_length: int = 0,
    key_length: int | None = None,
) -> tuple[torch.Tensor | None, bool]:
    """The additive mask and the causal flag for one forward.

    `attention_mask` is `[batch, keys]` with 1 for tokens and 0 for padding (keys beyond its
    length count as tokens), or a ready-made 4D additive mask (cast and cut to `key_length`).
    With `causal`, query `i` sits at absolute position `past_length + i` and sees keys up to
    its own position; `key_length` defaults to `past_length + query_length` (a static cache
    passes its full size: the slots not yet written are then hidden by the causal rule).
    """
    if key_length is None:
        key_length = past_length + query_length
    if attention_mask is not None:
        if attention_mask.dim() == 4:
            return attention_mask[..., :key_length].to(dtype), False
        if attention_mask.dim() != 2:
            raise ConfigError(
                "attention_mask must be [batch, length] (1 = token, 0 = padding) or a 4D "
                f"additive mask; got {attention_mask.dim()} dimensions."
            )
        if _all_tokens(attention_mask):
            attention_mask = None
    if not causal:
        if attention_mask is None:
            return None, False
        keep = _keys(attention_mask, key_length, device)[:, None, None, :]
        return _additive(keep, dtype), False
    if attention_mask is None:
        if past_length == 0 and query_length == key_length:
            return None, query_length > 1
        if query_length == 1 and key_length == past_length + 1:
            return None, False  # one new token sees every key
    query_positions = torch.arange(past_length, past_length + query_length, device=device)
    keep = (torch.arange(key_length, device=device)[None, :] <= query_positions[:, None])[None]
    if attention_mask is not None:
        keep = keep & _keys(attention_mask, key_length, device)[:, None, :]
    return _additive(keep[:, None], dtype), False


#: Up to this many entries a mask is checked in Python (`tolist`): a few microseconds less
#: than `bool(mask.all())`, which allocates and reduces through the dispatcher.
_SMALL_MASK = 256


def _all_tokens(attention_mask: torch.Tensor) -> bool:
    """`bool(attention_mask.all())`: no padding anywhere (every entry nonzero).

    Always False under `torch.compile`: reading the mask's values would break the graph; the
    all-zero bias built instead changes no number (adding 0 before the softmax)."""
    if torch.compiler.is_compiling():
        return False
    if attention_mask.numel() <= _SMALL_MASK:
        return all(attention_mask.reshape(-1).tolist())
    return bool(attention_mask.all())


def _keys(attention_mask: torch.Tensor, key_length: int, device: torch.device) -> torch.Tensor:
    """`[batch, key_length]` booleans: which keys are tokens (missing trailing keys are)."""
    keys = attention_mask.to(device=device, dtype=torch.bool)
    if keys.shape[-1] < key_length:
        keys = F.pad(keys, (0, key_length - keys.shape[-1]), value=True)
    return keys[:, :key_length]


def _additive(keep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return torch.zeros(keep.shape, dtype=dtype, device=keep.device).masked_fill_(
        ~keep, torch.finfo(dtype).min
    )


def layer_head_masks(
    head_mask: torch.Tensor | None, layers: int, dtype: torch.dtype
) -> list[torch.Tensor] | None:
    """`[heads]` or `[layers, heads]` multipliers (1 keeps a head) as one mask per layer."""
    if head_mask is None:
        return None
    if head_mask.dim() == 1:
        head_mask = head_mask[None].expand(layers, -1)
    if head_mask.dim() != 2 or head_mask.shape[0] != layers:
        raise ConfigError(
            f"head_mask must be shaped [heads] or [{layers}, heads], got {tuple(head_mask.shape)}."
        )
    return list(head_mask.to(dtype)[:, None, :, None, None])


def sliding_window_bias(
    bias: torch.Tensor | None,
    is_causal: bool,
    window: int,
    past_length: int,
    query_length: int,
    like: torch.Tensor,
) -> tuple[torch.Tensor | None, bool]:
    """`(bias, is_causal)` that also hides keys `window` or more positions behind each query.

    Query `i` sits at `past_length + i`; key `j` (a sequence index) stays when
    `i - window < j <= i`. Unchanged while the sequence fits in the window.
    """
    if past_length + query_length <= window:
        return bias, is_causal
    key_length = bias.shape[-1] if bias is not None else past_length + query_length
    device, dtype = like.device, bias.dtype if bias is not None else like.dtype
    queries = torch.arange(past_length, past_length + query_length, device=device)[:, None]
    keys = torch.arange(key_length, device=device)[None, :]
    keep = keys > queries - window
    if bias is None or is_causal:
        keep = keep & (keys <= queries)
    if bias is None:
        bias = torch.zeros((), dtype=dtype, device=device)
    return torch.where(keep, bias, torch.finfo(dtype).min), False
