"""Standard nnx blocks named like the checkpoints: BERT-style post-norm encoder layers.

Submodule names follow the Hugging Face PyTorch modules (`attention.self.query`,
`attention.output.LayerNorm`, `intermediate.dense`, `output.dense`, ...), so the adapter maps
their weights with no per-architecture table. Configs give `hidden_size`,
`num_attention_heads`, `intermediate_size`, `hidden_act`, `layer_norm_eps`,
`hidden_dropout_prob`, `attention_probs_dropout_prob` and `initializer_range`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.modeling.flax.attention import attention, merge_heads, split_heads
from tfx_core.modeling.flax.layers import activation_fn, dense, dropout, layer_norm

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

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        q = split_heads(self.query(hidden), self.num_heads)
        k = split_heads(self.key(hidden), self.num_heads)
        v = split_heads(self.value(hidden), self.num_heads)
        out, weights = attention(q, k, v, bias, dropout=self.dropout)
        return merge_heads(out), weights


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

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        context, weights = self.self(hidden, bias)
        return self.output(context, hidden), weights


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

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        attended, weights = self.attention(hidden, bias)
        return self.output(self.intermediate(attended), attended), weights


class Encoder(nnx.Module):
    """`layer.0 ... layer.N-1` of `EncoderLayer` (or a subclass's layer class)."""

    layer_class: type[nnx.Module] = EncoderLayer

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.layer = nnx.List(
            [
                self.layer_class(config, dtype=dtype, rngs=rngs)
                for _ in range(config.num_hidden_layers)
            ]
        )

    def __call__(
        self,
        hidden: Array,
        bias: Array | None,
        *,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[Array, tuple | None, tuple | None]:
        states: list[Array] = []
        attentions: list[Array] = []
        for layer in self.layer:
            if output_hidden_states:
                states.append(hidden)
            hidden, weights = layer(hidden, bias)
            if output_attentions:
                attentions.append(weights)
        if output_hidden_states:
            states.append(hidden)
        return (
            hidden,
            tuple(states) if output_hidden_states else None,
            tuple(attentions) if output_attentions else None,
        )


class Pooler(nnx.Module):
    """tanh(dense(first token)): BERT's pooled output."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden = config.hidden_size
        self.dense = dense(hidden, hidden, std=_std(config), dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array) -> Array:
        return jnp.tanh(self.dense(hidden[:, 0]))
