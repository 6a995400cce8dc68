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

Each module's `forward` calls a plain function of this file (`t5_layer_norm`, `dense_act_dense`,
`t5_keys_values`, `t5_attention`, `t5_block`, ...) with its submodules; the lean decoding step
(`lean_t5.py`) calls the same functions with the tensors bound, so there is one copy of the math.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.activations import get_activation
from tfx_core.modeling.torch.blocks.decoder import UpcastRMSNorm, upcast_rms_norm
from tfx_core.modeling.torch.blocks.functional import (
    Fn,
    merge_heads,
    multi_head_context,
    split_heads,
)
from tfx_core.modeling.torch.blocks.seq2seq import residual_sublayer
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.lean import trusted_forward

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


def t5_layer_norm(
    hidden: torch.Tensor, weight: torch.Tensor, eps: float | None, normalized_shape: tuple
) -> torch.Tensor:
    """T5's RMS norm: statistics in float32; a state of another dtype than the weight (a float32
    `wo` output in a float16 model) is normalised in float32 and returned in the weight's."""
    if hidden.dtype == weight.dtype:
        return upcast_rms_norm(hidden, weight, eps, normalized_shape)
    normalized = F.rms_norm(hidden.float(), normalized_shape, None, eps)
    return weight * normalized.to(weight.dtype)


@trusted_forward
class T5LayerNorm(UpcastRMSNorm):
    """RMS norm without mean subtraction or bias, normalised in float32 (`weight` only).

    A half-precision norm given float32 states (after a float32 `wo`, see `keep_wo_in_float32`)
    returns its weight's dtype, as the reference does.
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__(hidden_size, eps=eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return t5_layer_norm(hidden_states, self.weight, self.eps, self.normalized_shape)


def to_weight_dtype(hidden: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """`hidden` cast to `weight`'s dtype (float32 `wo` in float16 models), when it differs."""
    if hidden.dtype != weight.dtype and weight.is_floating_point():
        return hidden.to(weight.dtype)
    return hidden


def into_wo(dense: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """`dense.wo(hidden)`, first cast to `wo`'s dtype (float32 in float16 models)."""
    return dense.wo(to_weight_dtype(hidden, dense.wo.weight))


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


def dense_act_dense(
    hidden: torch.Tensor, *, wi: Fn, act: Fn, wo: Fn, wo_weight: torch.Tensor, dropout: Fn
) -> torch.Tensor:
    """T5 v1.0's feed-forward: `wo(dropout(act(wi(x))))`, cast to `wo`'s dtype first."""
    return wo(to_weight_dtype(dropout(act(wi(hidden))), wo_weight))


def gated_dense_act_dense(
    hidden: torch.Tensor,
    *,
    wi_0: Fn,
    wi_1: Fn,
    act: Fn,
    wo: Fn,
    wo_weight: torch.Tensor,
    dropout: Fn,
) -> torch.Tensor:
    """T5 v1.1's gated feed-forward: `wo(dropout(act(wi_0(x)) * wi_1(x)))`."""
    gated = act(wi_0(hidden)) * wi_1(hidden)
    return wo(to_weight_dtype(dropout(gated), wo_weight))


def feed_forward_residual(
    hidden: torch.Tensor, *, norm: Fn, dense: Fn, dropout: Fn
) -> torch.Tensor:
    """`x + dropout(dense(norm(x)))` (`T5LayerFF`)."""
    return hidden + dropout(dense(norm(hidden)))


@trusted_forward
class T5DenseActDense(nn.Module):
    """T5 v1.0: `wo(dropout(act(wi(x))))`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = feed_forward_activation(config.dense_act_fn)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return dense_act_dense(
            hidden_states,
            wi=self.wi,
            act=self.act,
            wo=self.wo,
            wo_weight=self.wo.weight,
            dropout=self.dropout,
        )


@trusted_forward
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
        return gated_dense_act_dense(
            hidden_states,
            wi_0=self.wi_0,
            wi_1=self.wi_1,
            act=self.act,
            wo=self.wo,
            wo_weight=self.wo.weight,
            dropout=self.dropout,
        )


@trusted_forward
class T5LayerFF(nn.Module):
    """`x + dropout(DenseReluDense(layer_norm(x)))`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        dense = T5DenseGatedActDense if config.is_gated_act else T5DenseActDense
        self.DenseReluDense = dense(config)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return feed_forward_residual(
            hidden_states, norm=self.layer_norm, dense=self.DenseReluDense, dropout=self.dropout
        )


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


def t5_keys_values(
    hidden: torch.Tensor,
    key_value_states: torch.Tensor | None,
    cache: Cache | CrossAttentionCache | None,
    *,
    key: Fn,
    value: Fn,
    heads: int,
    layer_idx: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Self-attention: this step's keys/values appended to `cache`. Cross-attention: the
    encoder's, projected on the first call and then read from the `CrossAttentionCache`."""
    if key_value_states is None:
        states = hidden
    else:
        cached = cache.get(layer_idx) if cache is not None else None
        if cached is not None:
            return cached
        states = key_value_states
    batch, length = states.shape[:2]
    keys = split_heads(key(states), batch, length, heads)
    values = split_heads(value(states), batch, length, heads)
    if cache is not None:
        keys, values = cache.update(keys, values, layer_idx)
    return keys, values


def t5_attention(
    hidden: torch.Tensor,
    *,
    key_value_states: torch.Tensor | None,
    cache: Cache | CrossAttentionCache | None,
    query: Fn,
    key: Fn,
    value: Fn,
    output: Fn,
    heads: int,
    layer_idx: int,
    bias: torch.Tensor | None,
    implementation: str,
    dropout: float = 0.0,
    head_mask: torch.Tensor | None = None,
    output_attentions: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """T5 attention (`T5Attention.forward`): `(output, weights or None)`; `bias` holds the
    relative position bias and the mask."""
    keys, values = t5_keys_values(
        hidden, key_value_states, cache, key=key, value=value, heads=heads, layer_idx=layer_idx
    )
    batch, length = hidden.shape[:2]
    queries = split_heads(query(hidden), batch, length, heads)
    if implementation == "sdpa" and head_mask is None and not output_attentions:
        context, weights = multi_head_context(
            queries, keys, values, bias=bias, scale=1.0, dropout_p=dropout
        )
    else:
        context, weights = eager_attention(queries, keys, values, bias, dropout)
        if head_mask is not None:
            weights = weights * head_mask
            context = merge_heads(torch.matmul(weights, values))
    return output(context), (weights if output_attentions else None)


@trusted_forward
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

    def keys_values(
        self,
        hidden_states: torch.Tensor,
        key_value_states: torch.Tensor | None,
        cache: Cache | CrossAttentionCache | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """This layer's keys and values (see `t5_keys_values`)."""
        return t5_keys_values(
            hidden_states,
            key_value_states,
            cache,
            key=self.k,
            value=self.v,
            heads=self.n_heads,
            layer_idx=self.layer_idx,
        )

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
        return t5_attention(
            hidden_states,
            key_value_states=key_value_states,
            cache=cache,
            query=self.q,
            key=self.k,
            value=self.v,
            output=self.o,
            heads=self.n_heads,
            layer_idx=self.layer_idx,
            bias=position_bias,
            implementation=self.implementation,
            dropout=self.dropout if self.training else 0.0,
            head_mask=layer_head_mask,
            output_attentions=output_attentions,
        )


@trusted_forward
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
        attention = partial(
            self.SelfAttention,
            position_bias=position_bias,
            key_value_states=None,
            cache=cache,
            layer_head_mask=layer_head_mask,
            output_attentions=output_attentions,
        )
        return residual_sublayer(hidden_states, self.layer_norm, attention, True, self.dropout)


@trusted_forward
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
        attention = partial(
            self.EncDecAttention,
            position_bias=position_bias,
            key_value_states=key_value_states,
            cache=cache,
            layer_head_mask=layer_head_mask,
            output_attentions=output_attentions,
        )
        return residual_sublayer(hidden_states, self.layer_norm, attention, True, self.dropout)


def t5_block(
    hidden: torch.Tensor, self_attention: Fn, cross_attention: Fn | None, feed_forward: Fn
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """A T5 block from its sublayers (each residual): self-attention, cross-attention (decoder
    blocks given encoder states), feed-forward; float16 states clamped after each."""
    hidden, self_weights = self_attention(hidden)
    hidden = clamp_fp16(hidden)
    cross_weights = None
    if cross_attention is not None:
        hidden, cross_weights = cross_attention(hidden)
        hidden = clamp_fp16(hidden)
    return clamp_fp16(feed_forward(hidden)), self_weights, cross_weights


@trusted_forward
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
        self_attention = partial(
            self.layer[0],
            position_bias=position_bias,
            cache=self_cache,
            layer_head_mask=layer_head_mask,
            output_attentions=output_attentions,
        )
        cross_attention = None
        if self.is_decoder and encoder_hidden_states is not None:
            cross_attention = partial(
                self.layer[1],
                key_value_states=encoder_hidden_states,
                position_bias=encoder_decoder_position_bias,
                cache=cross_cache,
                layer_head_mask=cross_attn_layer_head_mask,
                output_attentions=output_attentions,
            )
        return t5_block(hidden_states, self_attention, cross_attention, self.layer[-1])
