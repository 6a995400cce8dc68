"""Building bricks of the Flax nnx models: layers built with PyTorch's conventions, activations.

`dense`, `layer_norm` and `embed` return stock `flax.nnx` modules configured to compute what
their PyTorch counterparts compute (LayerNorm with the exact two-pass variance and the config's
eps, weights initialised like the reference's `_init_weights`). `Conv1D` is GPT-2's transposed
linear, whose `weight` is stored `[in, out]` in checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError

Array = jax.Array


def _normal(std: float) -> Callable[..., Array]:
    return nnx.initializers.normal(stddev=std)


def dense(
    in_features: int,
    out_features: int,
    *,
    std: float = 0.02,
    use_bias: bool = True,
    dtype: Any = jnp.float32,
    rngs: nnx.Rngs,
) -> nnx.Linear:
    """A Linear layer: kernel `[in, out]` (PyTorch's `weight` transposed), normal(std) init."""
    return nnx.Linear(
        in_features,
        out_features,
        use_bias=use_bias,
        kernel_init=_normal(std),
        bias_init=nnx.initializers.zeros_init(),
        param_dtype=dtype,
        dtype=dtype,
        precision=jax.lax.Precision.HIGHEST,
        rngs=rngs,
    )


def layer_norm(features: int, eps: float, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> Any:
    """LayerNorm as PyTorch computes it: the config's eps and the two-pass (exact) variance."""
    return nnx.LayerNorm(
        features,
        epsilon=eps,
        use_fast_variance=False,
        param_dtype=dtype,
        dtype=dtype,
        rngs=rngs,
    )


def embed(num: int, features: int, *, std: float = 0.02, dtype: Any = jnp.float32, rngs: nnx.Rngs):
    """An embedding table `[num, features]`; `.attend(x)` is the tied output projection."""
    return nnx.Embed(
        num, features, embedding_init=_normal(std), param_dtype=dtype, dtype=dtype, rngs=rngs
    )


def attend(table: nnx.Embed, hidden: Array) -> Array:
    """`hidden @ table.T` at full float32 precision (tied LM heads)."""
    weight = table.embedding[...]
    return jnp.matmul(hidden, weight.T.astype(hidden.dtype), precision=jax.lax.Precision.HIGHEST)


def lm_projection(
    tied: bool, features: int, vocab: int, *, std: float, dtype: Any, rngs: nnx.Rngs
) -> nnx.Linear | None:
    """An LM head's own output projection (no bias), or None when `tied` to the embeddings."""
    if tied:
        return None
    return dense(features, vocab, std=std, use_bias=False, dtype=dtype, rngs=rngs)


def vocab_logits(projection: nnx.Module | None, table: nnx.Embed, hidden: Array) -> Array:
    """`projection(hidden)`, or `hidden` against the tied embedding `table` when it is None."""
    return attend(table, hidden) if projection is None else projection(hidden)


class Conv1D(nnx.Module):
    """GPT-2's projection: `x @ weight + bias` with `weight` stored `[in, out]`."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        std: float = 0.02,
        dtype: Any = jnp.float32,
        rngs: nnx.Rngs,
    ) -> None:
        self.weight = nnx.Param(_normal(std)(rngs.params(), (in_features, out_features), dtype))
        self.bias = nnx.Param(jnp.zeros((out_features,), dtype))

    def __call__(self, x: Array) -> Array:
        out = jnp.matmul(x, self.weight[...], precision=jax.lax.Precision.HIGHEST)
        return out + self.bias[...]


def _quick_gelu(x: Array) -> Array:
    return x * jax.nn.sigmoid(1.702 * x)


_gelu_exact = partial(jax.nn.gelu, approximate=False)  # jax.nn.gelu defaults to the tanh form
_gelu_tanh = partial(jax.nn.gelu, approximate=True)

ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "gelu": _gelu_exact,
    "gelu_python": _gelu_exact,
    "gelu_new": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_10": lambda x: jnp.clip(_gelu_exact(x), -10.0, 10.0),
    "quick_gelu": _quick_gelu,
    "relu": jax.nn.relu,
    "relu2": lambda x: jnp.square(jax.nn.relu(x)),
    "relu6": jax.nn.relu6,
    "leaky_relu": jax.nn.leaky_relu,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "mish": lambda x: x * jnp.tanh(jax.nn.softplus(x)),
    "linear": lambda x: x,
}


def activation_fn(name: str) -> Callable[[Array], Array]:
    """The activation named by a config (`hidden_act`, `activation_function`)."""
    fn = ACTIVATIONS.get(str(name).lower())
    if fn is None:
        raise ConfigError(
            f"Unknown activation function {name!r}; supported: {', '.join(sorted(ACTIVATIONS))}."
        )
    return fn


def dropout(rate: float, rngs: nnx.Rngs) -> nnx.Dropout:
    """Dropout that is off until the model is put in training mode (`model.train()`)."""
    return nnx.Dropout(rate, deterministic=True, rngs=rngs)
