"""Standard nnx blocks named like the checkpoints: BERT-style post-norm encoder layers.

Submodule names follow the Hugging Face PyTorch modules (`attention.self.query`,
`attention.output.LayerNorm`, `intermediate.dense`, `output.dense`, ...), so the adapter maps
their weights with no per-architecture table. Configs give `hidden_size`,
`num_attention_heads`, `intermediate_size`, `hidden_act`, `layer_norm_eps`,
`hidden_dropout_prob`, `attention_probs_dropout_prob` and `initializer_range`.

Used as a causal decoder (`config.is_decoder`, e.g. BERT's LM head), the layers take a
preallocated KV cache (`decoder.LayerCache` per layer, from `Encoder.init_cache`), passed in and
returned as a pytree so decoding runs under `jax.jit`: the new tokens' keys and values are
written at `cache_index` and the queries attend to the whole cache (`decoder_bias` masks it).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.attention import (
    attention,
    merge_heads,
    padding_bias,
    split_heads,
)
from tfx_core.modeling.flax.decoder import LayerCache, empty_cache
from tfx_core.modeling.flax.layers import activation_fn, dense, dropout, layer_norm
from tfx_core.modeling.flax.stack import cached_causal_bias, run_layers

Array = jax.Array


def _std(config: Any) -> float:
    return float(getattr(config, "initializer_range", 0.02))


class SelfAttention(nnx.Module):
    """Multi-head self-attention with separate `query`, `key`, `value` projections."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.query = dense(hidden, hidden, std=_std(config), dtype=dtype, rngs=rngs)
        self.key = dense(hidden, hidden, std=_std(config), dtype=dtype, rngs=rngs)
        self.value = dense(hidden, hidden, std=_std(config), dtype=dtype, rngs=rngs)
        self.dropout = dropout(config.attention_probs_dropout_prob, rngs)

    def __call__(
        self, hidden: Array, bias: Array | None, cache: LayerCache | None = None, index: Any = 0
    ) -> tuple[Array, Array, LayerCache | None]:
        q = split_heads(self.query(hidden), self.num_heads)
        k = split_heads(self.key(hidden), self.num_heads)
        v = split_heads(self.value(hidden), self.num_heads)
        if cache is not None:
            cache = cache.written(k, v, index)
            k, v = cache.key, cache.value
        out, weights = attention(q, k, v, bias, dropout=self.dropout)
        return merge_heads(out), weights, cache


class SelfOutput(nnx.Module):
    """dense -> dropout -> LayerNorm(x + residual): the post-norm residual step."""

    def __init__(self, config: Any, in_features: int, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.dense = dense(
            in_features, config.hidden_size, std=_std(config), dtype=dtype, rngs=rngs
        )
        self.LayerNorm = layer_norm(
            config.hidden_size, config.layer_norm_eps, dtype=dtype, rngs=rngs
        )
        self.dropout = dropout(config.hidden_dropout_prob, rngs)

    def __call__(self, hidden: Array, residual: Array) -> Array:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class Attention(nnx.Module):
    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.self = SelfAttention(config, dtype=dtype, rngs=rngs)
        self.output = SelfOutput(config, config.hidden_size, dtype=dtype, rngs=rngs)

    def __call__(
        self, hidden: Array, bias: Array | None, cache: LayerCache | None = None, index: Any = 0
    ) -> tuple[Array, Array, LayerCache | None]:
        context, weights, cache = self.self(hidden, bias, cache, index)
        return self.output(context, hidden), weights, cache


class Intermediate(nnx.Module):
    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.dense = dense(
            config.hidden_size, config.intermediate_size, std=_std(config), dtype=dtype, rngs=rngs
        )
        self.act = activation_fn(config.hidden_act)

    def __call__(self, hidden: Array) -> Array:
        return self.act(self.dense(hidden))


class Output(SelfOutput):
    """The feed-forward output step: dense from `intermediate_size`, dropout, residual norm."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        super().__init__(config, config.intermediate_size, dtype=dtype, rngs=rngs)


class EncoderLayer(nnx.Module):
    """BERT's post-norm layer: attention, then feed-forward, each with residual + LayerNorm."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.attention = Attention(config, dtype=dtype, rngs=rngs)
        self.intermediate = Intermediate(config, dtype=dtype, rngs=rngs)
        self.output = Output(config, dtype=dtype, rngs=rngs)

    def __call__(
        self, hidden: Array, bias: Array | None, cache: LayerCache | None = None, index: Any = 0
    ) -> tuple[Array, Array, LayerCache | None]:
        attended, weights, cache = self.attention(hidden, bias, cache, index)
        return self.output(self.intermediate(attended), attended), weights, cache


class Encoder(nnx.Module):
    """`layer.0 ... layer.N-1` of `EncoderLayer` (or a subclass's layer class)."""

    layer_class: type[nnx.Module] = EncoderLayer

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.layer = nnx.List(
            [
                self.layer_class(config, dtype=dtype, rngs=rngs)
                for _ in range(config.num_hidden_layers)
            ]
        )

    def init_cache(self, batch: int, max_length: int, dtype: Any) -> tuple[LayerCache, ...]:
        """Zeroed keys / values for `max_length` positions, one `LayerCache` per layer."""
        return empty_cache(len(self.layer), batch, self.num_heads, max_length, self.head_dim, dtype)

    def __call__(
        self, hidden: Array, bias: Array | None, **options: Any
    ) -> tuple[Array, tuple | None, tuple | None, tuple[LayerCache, ...] | None]:
        """(hidden, all hidden states, attention weights, the updated cache or None);
        `options` are `stack.run_layers`' (`cache`, `cache_index`, `output_*`)."""
        return run_layers(self.layer, hidden, bias, **options)


def decoder_bias(
    config: Any,
    length: int,
    attention_mask: Array | None,
    cache: tuple[LayerCache, ...] | None = None,
    cache_index: Any = 0,
) -> Array | None:
    """The self-attention bias of a BERT-style stack: padding only for an encoder; causal for
    `config.is_decoder`, over the cache's columns when there is one (`attention_mask` is then
    `[batch, max_length]`, the queries sit at `cache_index ...`)."""
    if not getattr(config, "is_decoder", False):
        if cache is not None:
            raise ConfigError(
                "A KV cache needs a causal model: set is_decoder=True in the config (a "
                "bidirectional encoder recomputes every position instead)."
            )
        return padding_bias(attention_mask)
    return cached_causal_bias(length, attention_mask, cache, cache_index)


class Pooler(nnx.Module):
    """tanh(dense(first token)): BERT's pooled output."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden = config.hidden_size
        self.dense = dense(hidden, hidden, std=_std(config), dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array) -> Array:
        return jnp.tanh(self.dense(hidden[:, 0]))
