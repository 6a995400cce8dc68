"""T5's layers, with the reference's class and attribute names (they are the checkpoint keys).

```
block.N.layer.0  T5LayerSelfAttention   layer_norm, SelfAttention.{q,k,v,o}
                                        (+ relative_attention_bias in block 0)
block.N.layer.1  T5LayerCrossAttention  layer_norm, EncDecAttention.{q,k,v,o}   (decoder only)
block.N.layer.-1 T5LayerFF              layer_norm, DenseReluDense.{wi | wi_0, wi_1, wo}
```

What makes T5 T5: pre-norm residual blocks with an RMS norm (no mean, no bias; statistics in
float32: the core's `UpcastRMSNorm`), no 1/sqrt(d) scaling of query . key, and a learned
per-head bias of the bucketed relative position added to the scores. Only the first block of
each stack owns the bias table; the stack computes the bias once (bidirectional buckets in the
encoder, causal in the decoder), adds the attention mask, and every block uses it. Attention
is computed as the reference does (softmax in float32, also for half-precision models): the bias
is a full float mask, so fused kernels gain little; `attn_implementation="sdpa"` opts in to the
core's fused primitive (equal to rounding).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.blocks.decoder import UpcastRMSNorm
from tfx_core.modeling.torch.blocks.functional import (
    merge_heads,
    multi_head_context,
    split_heads,
)
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache

__all__ = [
    "T5Attention",
    "T5Block",
    "T5DenseActDense",
    "T5DenseGatedActDense",
    "T5LayerCrossAttention",
    "T5LayerFF",
    "T5LayerNorm",
    "T5LayerSelfAttention",
    "clamp_fp16",
    "relative_position_bucket",
]


class T5LayerNorm(UpcastRMSNorm):
    """RMS norm without mean subtraction or bias, normalised in float32 (`weight` only).

    A half-precision norm given float32 states (after a float32 `wo`, see `keep_wo_in_float32`)
    returns its weight's dtype, as the reference does.
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__(hidden_size, eps=eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if hidden_states.dtype == self.weight.dtype:
            return super().forward(hidden_states)
        normalized = F.rms_norm(hidden_states.float(), self.normalized_shape, None, self.eps)
        return self.weight * normalized.to(self.weight.dtype)


def into_wo(dense: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """`dense.wo(hidden)`, first cast to `wo`'s dtype (float32 in float16 models)."""
    weight = dense.wo.weight
    if hidden.dtype != weight.dtype and weight.is_floating_point():
        hidden = hidden.to(weight.dtype)
    return dense.wo(hidden)


def keep_wo_in_float32(model: nn.Module) -> None:
    """Float16 T5 overflows in the feed-forward output projection: keep every `wo` in float32
    (the reference does this when it loads a model in float16)."""
    for module in model.modules():
        if isinstance(module, (T5DenseActDense, T5DenseGatedActDense)):
            module.wo.float()


def clamp_fp16(hidden: torch.Tensor) -> torch.Tensor:
    """Keep float16 activations finite, as the reference does after each sub-layer."""
    if hidden.dtype != torch.float16:
        return hidden
    largest = torch.finfo(torch.float16).max
    limit = torch.where(torch.isinf(hidden).any(), largest - 1000, largest)
    return torch.clamp(hidden, min=-limit, max=limit)


# ------------------------------------------------------------------ feed-forward
def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """Tanh-approximated GELU written op by op, as T5 v1.1 checkpoints were trained and as the
    reference computes it. The core's fused kernel agrees to float rounding, but the untied
    `lm_head` of v1.1 / mT5 (logits of tens) turns that rounding into ~1e-5 logit changes."""
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))
    return 0.5 * x * (1.0 + torch.tanh(inner))


def feed_forward_activation(name: str) -> Any:
    """`gelu_new` (v1.1's) op by op; any other name from the core's activations."""
    return gelu_new if name == "gelu_new" else get_activation(name)


class T5DenseActDense(nn.Module):
    """T5 v1.0: `wo(dropout(act(wi(x))))`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = feed_forward_activation(config.dense_act_fn)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return into_wo(self, self.dropout(self.act(self.wi(hidden_states))))


class T5DenseGatedActDense(nn.Module):
    """T5 v1.1 / mT5: `wo(dropout(act(wi_0(x)) * wi_1(x)))`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = feed_forward_activation(config.dense_act_fn)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        gated = self.act(self.wi_0(hidden_states)) * self.wi_1(hidden_states)
        return into_wo(self, self.dropout(gated))


class T5LayerFF(nn.Module):
    """`x + dropout(DenseReluDense(layer_norm(x)))`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        dense = T5DenseGatedActDense if config.is_gated_act else T5DenseActDense
        self.DenseReluDense = dense(config)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return hidden_states + self.dropout(self.DenseReluDense(self.layer_norm(hidden_states)))


# ------------------------------------------------------------------ attention
def relative_position_bucket(
    relative_position: torch.Tensor,
    *,
    bidirectional: bool,
    num_buckets: int,
    max_distance: int,
) -> torch.Tensor:
    """Bucket of each `key - query` offset: exact for small offsets, log-spaced up to
    `max_distance`, one bucket beyond. Bidirectional buckets give half the range to each sign;
    causal ones map every future offset to bucket 0."""
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp_min(0)
    exact = num_buckets // 2
    log_ratio = torch.log(distance.float() / exact) / math.log(max_distance / exact)
    far = (exact + (log_ratio * (num_buckets - exact)).long()).clamp_max(num_buckets - 1)
    return buckets + torch.where(distance < exact, distance, far)


def eager_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    bias: torch.Tensor | None,
    dropout: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`softmax(q . k + bias) v` with the softmax in float32 (half-precision models too), as
    the reference computes it: `(context [b, q, h * d], weights [b, h, q, k])`."""
    scores = torch.matmul(query, key.transpose(-1, -2))
    if bias is not None:
        scores = scores + bias
    weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
    if dropout:
        weights = F.dropout(weights, p=dropout, training=True)
    return merge_heads(torch.matmul(weights, value)), weights


class T5Attention(nn.Module):
    """Multi-head attention without 1/sqrt(d) scaling; `q`, `k`, `v`, `o` without biases.

    `has_relative_attention_bias` adds the bucket table (`relative_attention_bias`,
    `[num_buckets, heads]`) whose `compute_bias` the stack calls once per forward.
    """

    def __init__(
        self,
        config: Any,
        has_relative_attention_bias: bool = False,
        layer_idx: int = 0,
        *,
        is_decoder: bool = False,
    ) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.relative_attention_num_buckets = config.relative_attention_num_buckets
        self.relative_attention_max_distance = config.relative_attention_max_distance
        self.n_heads = config.num_heads
        self.key_value_proj_dim = config.d_kv
        self.inner_dim = self.n_heads * self.key_value_proj_dim
        self.dropout = config.dropout_rate
        self.layer_idx = layer_idx
        # eager unless asked: the reference's exact order of operations (scores + bias, softmax
        # in float32); SDPA with the same additive bias differs by rounding only
        self.implementation = config.attn_implementation or "eager"
        self.q = nn.Linear(config.d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(config.d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(config.d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, config.d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(
                self.relative_attention_num_buckets, self.n_heads
            )

    def compute_bias(self, query_positions: torch.Tensor, key_length: int) -> torch.Tensor:
        """`[1, heads, queries, keys]` bias of each query position against keys `0..key_length-1`."""
        table = self.relative_attention_bias
        device = table.weight.device
        keys = torch.arange(key_length, dtype=torch.long, device=device)
        relative = keys[None, :] - query_positions.to(device)[:, None]
        offsets = self.buckets_by_offset(key_length, device)
        buckets = offsets[relative + (offsets.shape[0] - 1) // 2]
        return table(buckets).permute(2, 0, 1).unsqueeze(0)

    def buckets_by_offset(self, key_length: int, device: torch.device) -> torch.Tensor:
        """Bucket of every offset in `(-n, n)`, `n >= key_length` (a power of two), computed
        once per size and device: a decoding step then costs one lookup, not the log math."""
        cache = self.__dict__.setdefault("_bucket_cache", {})
        cached = cache.get(device)
        if cached is None or cached.shape[0] < 2 * key_length - 1:
            span = 1 << max(key_length - 1, 1).bit_length()
            offsets = torch.arange(-span + 1, span, dtype=torch.long, device=device)
            cached = cache[device] = relative_position_bucket(
                offsets,
                bidirectional=not self.is_decoder,
                num_buckets=self.relative_attention_num_buckets,
                max_distance=self.relative_attention_max_distance,
            )
        return cached

    def _heads(self, projection: nn.Module, states: torch.Tensor) -> torch.Tensor:
        batch, length = states.shape[:2]
        return split_heads(projection(states), batch, length, self.n_heads)

    def keys_values(
        self,
        hidden_states: torch.Tensor,
        key_value_states: torch.Tensor | None,
        cache: Cache | CrossAttentionCache | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Self-attention: this step's keys/values appended to `cache`. Cross-attention: the
        encoder's, projected on the first call and then read from the `CrossAttentionCache`."""
        if key_value_states is None:
            key, value = self._heads(self.k, hidden_states), self._heads(self.v, hidden_states)
            if cache is not None:
                key, value = cache.update(key, value, self.layer_idx)
            return key, value
        cached = cache.get(self.layer_idx) if cache is not None else None
        if cached is not None:
            return cached
        key, value = self._heads(self.k, key_value_states), self._heads(self.v, key_value_states)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        return key, value

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        key_value_states: torch.Tensor | None = None,
        cache: Cache | CrossAttentionCache | None = None,
        layer_head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`(output, attention weights or None)`; `position_bias` already holds the mask."""
        key, value = self.keys_values(hidden_states, key_value_states, cache)
        query = self._heads(self.q, hidden_states)
        dropout = self.dropout if self.training else 0.0
        if self.implementation == "sdpa" and layer_head_mask is None and not output_attentions:
            context, weights = multi_head_context(
                query, key, value, bias=position_bias, scale=1.0, dropout_p=dropout
            )
        else:
            context, weights = eager_attention(query, key, value, position_bias, dropout)
            if layer_head_mask is not None:
                weights = weights * layer_head_mask
                context = merge_heads(torch.matmul(weights, value))
        return self.o(context), (weights if output_attentions else None)


class T5LayerSelfAttention(nn.Module):
    """`x + dropout(SelfAttention(layer_norm(x)))`."""

    def __init__(
        self,
        config: Any,
        has_relative_attention_bias: bool = False,
        layer_idx: int = 0,
        *,
        is_decoder: bool = False,
    ) -> None:
        super().__init__()
        self.SelfAttention = T5Attention(
            config, has_relative_attention_bias, layer_idx, is_decoder=is_decoder
        )
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        cache: Cache | None = None,
        layer_head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        output, weights = self.SelfAttention(
            self.layer_norm(hidden_states),
            position_bias,
            None,
            cache,
            layer_head_mask,
            output_attentions,
        )
        return hidden_states + self.dropout(output), weights


class T5LayerCrossAttention(nn.Module):
    """`x + dropout(EncDecAttention(layer_norm(x), encoder states))`."""

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        self.EncDecAttention = T5Attention(config, False, layer_idx, is_decoder=True)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(
        self,
        hidden_states: torch.Tensor,
        key_value_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        cache: CrossAttentionCache | None = None,
        layer_head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        output, weights = self.EncDecAttention(
            self.layer_norm(hidden_states),
            position_bias,
            key_value_states,
            cache,
            layer_head_mask,
            output_attentions,
        )
        return hidden_states + self.dropout(output), weights


class T5Block(nn.Module):
    """Self-attention, cross-attention (decoder blocks), feed-forward: `layer` in that order.

    Returns `(hidden_states, self-attention weights, cross-attention weights)`.
    """

    def __init__(
        self,
        config: Any,
        has_relative_attention_bias: bool = False,
        layer_idx: int = 0,
        *,
        is_decoder: bool = False,
    ) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        self.layer = nn.ModuleList(
            [
                T5LayerSelfAttention(
                    config, has_relative_attention_bias, layer_idx, is_decoder=is_decoder
                )
            ]
        )
        if is_decoder:
            self.layer.append(T5LayerCrossAttention(config, layer_idx))
        self.layer.append(T5LayerFF(config))

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_decoder_position_bias: torch.Tensor | None = None,
        layer_head_mask: torch.Tensor | None = None,
        cross_attn_layer_head_mask: torch.Tensor | None = None,
        self_cache: Cache | None = None,
        cross_cache: CrossAttentionCache | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        hidden_states, self_weights = self.layer[0](
            hidden_states, position_bias, self_cache, layer_head_mask, output_attentions
        )
        hidden_states = clamp_fp16(hidden_states)
        cross_weights = None
        if self.is_decoder and encoder_hidden_states is not None:
            hidden_states, cross_weights = self.layer[1](
                hidden_states,
                encoder_hidden_states,
                encoder_decoder_position_bias,
                cross_cache,
                cross_attn_layer_head_mask,
                output_attentions,
            )
            hidden_states = clamp_fp16(hidden_states)
        hidden_states = clamp_fp16(self.layer[-1](hidden_states))
        return hidden_states, self_weights, cross_weights
