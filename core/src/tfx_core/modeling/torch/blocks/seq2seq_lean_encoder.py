"""The BART-family encoder's layers run lean at inference, and what lean plans' reuse checks.

A small encoder spends much of a CPU forward in module calls. `lean_encoder_layers(encoder)`
binds each `Seq2SeqEncoderLayer`'s tensors once (the fused query/key/value product, the output
and feed-forward products as the modules run them, the norms) and `run_lean_layer` runs a layer
through the functions its `forward` calls (`residual_sublayer`, `causal_self_attention`,
`seq2seq_feed_forward`): one copy of the math, bitwise the modules' results. `Seq2SeqEncoder.forward` uses them in place of its layer calls when nothing
could observe the difference (`LeanGuard` over the encoder: no hook, no instance or patched
`forward`, no new module or parameter; inference, autograd off, fast paths on) and the call
asks for no attentions, hidden states or head mask. Embeddings and the final norm stay the
stack's own methods, so every variant (mBART, Marian, M2M100, ...) takes part as it is.

`TensorsStamp` is what a bound plan depends on besides the structure its guard watches; the
encoder's plan and the seq2seq decode plan (`seq2seq_lean`) check it before reusing a binding.
"""

from __future__ import annotations

import operator
from functools import partial
from itertools import chain
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.blocks.decoder import DecoderAttention, _split_output, bound_norm
from tfx_core.modeling.torch.blocks.functional import Fn, causal_self_attention
from tfx_core.modeling.torch.blocks.lean_encoder import _bound_product
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqEncoderLayer,
    _Seq2SeqLayer,
    residual_sublayer,
    seq2seq_feed_forward,
)
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted
from tfx_core.modeling.torch.linear import Linear

__all__ = ["TensorsStamp", "lean_encoder_layers", "run_lean_layer", "whole_qkv"]

_version = operator.attrgetter("_version")


class TensorsStamp:
    """What a bound plan depends on besides the structure its guard watches, as it was: the
    memory and in-place version of each parameter (`.to()`, loading, laid-out copies), each
    buffer object, the value of each public attribute of the modules (an activation or a size
    swapped on an instance) and the thread count (split products). `current()` runs C-level
    passes over what the constructor collected."""

    def __init__(self, guard: LeanGuard) -> None:
        modules = guard.modules
        self.parameters = tuple(
            p for module in modules for p in module._parameters.values() if p is not None
        )
        self.buffer_dicts = tuple(module._buffers for module in modules if module._buffers)
        # public attributes only: private ones hold caches (plans, fused weights)
        pairs = [
            (values, name) for values in guard.instance_dicts for name in values if name[0] != "_"
        ]
        self.attribute_dicts = tuple(values for values, _ in pairs)
        self.attribute_names = tuple(name for _, name in pairs)
        self.stamp = self._now()

    def _now(self) -> tuple:
        parameters = self.parameters
        return (
            torch.get_num_threads(),
            tuple(map(torch.Tensor.data_ptr, parameters)),
            tuple(map(_version, parameters)),
            tuple(map(id, chain.from_iterable(map(dict.values, self.buffer_dicts)))),
            tuple(map(id, map(dict.get, self.attribute_dicts, self.attribute_names))),
        )

    def current(self) -> bool:
        return self._now() == self.stamp


def whole_qkv(attention: dict[str, Any]) -> dict[str, Any]:
    """With as many key/value heads as queries, hand `causal_self_attention` the fused
    projection's output whole: it then cuts the heads out with views (`split_fused_heads`)
    instead of a split and three reshapes (the same values, in the same memory layout)."""
    qkv = attention["qkv"]
    if attention["kv_heads"] == attention["heads"] and getattr(qkv, "func", None) is _split_output:
        return dict(attention, qkv=qkv.keywords["project"])
    return attention


class LeanEncoderLayer(NamedTuple):
    """An encoder layer's tensors bound to plain functions."""

    pre_norm: bool
    self_norm: Fn
    attention: dict[str, Any]
    ffn_norm: Fn
    feed_forward: Fn


def _product(module: nn.Module) -> Fn | None:
    """A linear module's `forward` with its tensors bound: the very function it runs."""
    forward = type(module).forward
    if forward is Linear.forward:
        return _bound_product(module.weight, module.bias)  # (`linear`, decided once)
    if forward is nn.Linear.forward:
        return partial(F.linear, weight=module.weight, bias=module.bias)
    return None


def _attention(attention: nn.Module) -> dict[str, Any] | None:
    """`causal_self_attention`'s arguments as `DecoderAttention.forward` passes them at
    inference, the projections bound as its `qkv` runs them (one fused product)."""
    kind = type(attention)
    if not (
        isinstance(attention, DecoderAttention)
        and kind.forward is DecoderAttention.forward
        and kind.qkv is DecoderAttention.qkv
        and attention.qkv_attribute is None
    ):
        return None
    fused = attention.projections.weights()
    output = _product(getattr(attention, attention.output_attribute))
    if fused is None or output is None:
        return None
    qkv = _bound_product(*fused)
    if attention.num_key_value_heads != attention.num_heads:
        qkv = partial(_split_output, project=qkv, splits=attention.splits)
    return dict(
        qkv=qkv,
        output=output,
        heads=attention.num_heads,
        kv_heads=attention.num_key_value_heads,
        layer_idx=attention.layer_idx,
        scale=attention.scale,
        rotate=attention.rotate,
        upcast=attention.upcast,
        window=attention.window,
    )


def _bind_layer(layer: nn.Module) -> LeanEncoderLayer | None:
    kind = type(layer)
    if not (
        isinstance(layer, Seq2SeqEncoderLayer)
        and kind.forward is Seq2SeqEncoderLayer.forward
        and kind.feed_forward_sublayer is _Seq2SeqLayer.feed_forward_sublayer
        and kind._dropouts is _Seq2SeqLayer._dropouts
    ):
        return None
    parts = (
        bound_norm(layer.self_attn_layer_norm),
        _attention(layer.self_attn),
        bound_norm(layer.final_layer_norm),
        _product(layer.fc1),
        _product(layer.fc2),
    )
    if any(part is None for part in parts):
        return None
    self_norm, attention, ffn_norm, fc1, fc2 = parts
    feed_forward = partial(seq2seq_feed_forward, fc1=fc1, activation=layer.activation_fn, fc2=fc2)
    return LeanEncoderLayer(layer.pre_norm, self_norm, attention, ffn_norm, feed_forward)


class _EncoderPlan:
    """The bound layers (None: call the modules), the guard and the stamp that keep them."""

    __slots__ = ("guard", "layers", "stamp")

    def __init__(self, encoder: nn.Module) -> None:
        self.guard = LeanGuard(encoder)
        self.layers: tuple[LeanEncoderLayer, ...] | None = None
        if all_trusted(encoder):
            layers = tuple(map(_bind_layer, encoder.layers))
            if None not in layers:
                self.layers = layers
        self.stamp = TensorsStamp(self.guard)

    def current(self) -> bool:
        return self.guard.same_structure() and self.stamp.current()


def lean_encoder_layers(encoder: nn.Module) -> tuple[LeanEncoderLayer, ...] | None:
    """The encoder's layers bound for `run_lean_layer`, or None when this forward must call
    the modules (see the module doc); the binding is kept while it stays current."""
    if torch.is_grad_enabled() or not fast_paths_enabled() or torch.compiler.is_compiling():
        return None
    state = encoder.__dict__
    plan = state.get("_lean_encoder_plan")
    if plan is None or not plan.current():
        plan = state["_lean_encoder_plan"] = _EncoderPlan(encoder)
    if plan.layers is None or not plan.guard.quiet():
        return None
    return plan.layers


def run_lean_layer(
    hidden: torch.Tensor, bias: torch.Tensor | None, layer: LeanEncoderLayer, implementation: str
) -> torch.Tensor:
    """`Seq2SeqEncoderLayer.forward` at inference (no head mask, no weights) on bound tensors."""
    attend = partial(causal_self_attention, bias=bias, implementation=implementation)
    hidden = residual_sublayer(
        hidden, layer.self_norm, partial(attend, **layer.attention), layer.pre_norm
    )[0]
    return residual_sublayer(hidden, layer.ffn_norm, layer.feed_forward, layer.pre_norm)[0]
