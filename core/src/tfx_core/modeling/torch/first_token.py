"""Heads that read only the first token need only that row of the last layer.

`unobserved_rows` is the guard every such shortcut uses: this module's, for the BERT-style
post-norm encoder and the generic heads, and the pre-norm block's `first_rows` (ViT, DeiT,
CLIP's vision tower).

A sequence classifier (or multiple-choice, next-sentence) head on a BERT-style encoder reads
the pooled first token or the first token itself. Every other row of the last layer's
attention output, residual, norm and feed-forward network is computed and thrown away: about a
sixth of a 6-layer model's products, forward and backward. With this shortcut the last layer
attends from the first position only (its keys and values still come from every token) and
the rows are the same numbers the full layer computes.

It is a fast path: it runs only while nothing could see the difference. The head asks for it
(`first_token_only(encoder)`, a context that names the one encoder it applies to), and the
encoder takes it only when the last layer and its submodules, the encoder, the base model and
its pooler carry no hooks, the last layer runs the core `forward` (no subclass override, no
class- or instance-level patch), positions are absolute, there is no cache, head mask,
cross-attention, or request for hidden states or attention weights, and fast paths are on
(`TFX_FAST_PATHS=0` turns it off). It works in training too: the gradients are those of the
full layer, since the dropped rows feed nothing the loss reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import torch
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, global_hooks_registered

_ENCODER: ContextVar[nn.Module | None] = ContextVar("tfx_first_token_encoder", default=None)
#: The same request while `torch.compile` traces (dynamo cannot trace a ContextVar; a traced
#: list's pushes and pops are replayed, and the request never outlives the traced call).
_TRACED: list[nn.Module | None] = []


@contextlib.contextmanager
def first_token_only(encoder: nn.Module | None) -> Iterator[None]:
    """Within the block, `encoder` may compute its last layer at the first position only."""
    if torch.compiler.is_compiling():
        _TRACED.append(encoder)
        try:
            yield
        finally:
            _TRACED.pop()
        return
    token = _ENCODER.set(encoder)
    try:
        yield
    finally:
        _ENCODER.reset(token)


def requested(encoder: nn.Module) -> bool:
    """The running head asked `encoder` for the first position only."""
    if torch.compiler.is_compiling():
        return bool(_TRACED) and _TRACED[-1] is encoder
    return _ENCODER.get() is encoder


def _unhooked(*modules: nn.Module) -> bool:
    return not any(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks
        for m in modules
    )


def unobserved_rows(layer: nn.Module, forwards: dict[nn.Module, object]) -> bool:
    """Whether `layer` may compute fewer rows than it was given without anyone seeing it: fast
    paths on, no global hook and no hook on the layer or below it, and each module of
    `forwards` running the class `forward` it maps to (no override, no class- or instance-level
    patch). The one guard of every "last layer at the first rows only" shortcut.

    The layer's subtree is remembered in a `LeanGuard` (kept in its `__dict__`), so the hook
    check is O(1) while no hook handle has been created anywhere, and the guard is rebuilt when
    a module or parameter is registered or a class or class `forward` changes."""
    if not fast_paths_enabled():
        return False
    if torch.compiler.is_compiling():  # the plain checks, which dynamo guards on (no cache)
        return (
            _unhooked(*layer.modules())
            and not global_hooks_registered()
            and all(
                type(module).forward is forward and "forward" not in module.__dict__
                for module, forward in forwards.items()
            )
        )
    guard = layer.__dict__.get("_first_rows_guard")
    if guard is None or not guard.same_structure():
        guard = layer.__dict__["_first_rows_guard"] = LeanGuard(layer)
    return guard.hook_free() and all(
        type(module).forward is forward and "forward" not in module.__dict__
        for module, forward in forwards.items()
    )


def _flag(kwargs: dict[str, Any], name: str, config: Any) -> bool:
    value = kwargs.get(name)
    return bool(getattr(config, name, False) if value is None else value)


def shortcut_encoder(base: nn.Module, head_input: str, kwargs: dict[str, Any]) -> Any:
    """The encoder of `base` that may take the shortcut for this call, or None.

    `head_input` is what the head reads ("pooled" / "first_token" qualify); `kwargs` are the
    base model's call arguments (hidden states, attentions, head mask and cache turn it off).
    """
    from tfx_core.modeling.torch.blocks.encoder_model import EncoderModel, Pooler

    if head_input not in ("pooled", "first_token") or not isinstance(base, EncoderModel):
        return None
    config = base.config
    if (
        type(base).forward is not EncoderModel.forward
        or kwargs.get("head_mask") is not None
        or kwargs.get("past_key_values") is not None
        or config.is_decoder
        or _flag(kwargs, "output_hidden_states", config)
        or _flag(kwargs, "output_attentions", config)
    ):
        return None
    pooler = base._modules.get("pooler")
    if head_input == "pooled" and (
        pooler is None or type(pooler).forward is not Pooler.forward or not _unhooked(pooler)
    ):
        return None
    encoder = base._modules.get(base.encoder_attribute)
    if encoder is None or not _unhooked(base, encoder) or not fast_paths_enabled():
        return None
    return encoder


def core_layer_forwards(layer: nn.Module) -> dict[nn.Module, object] | None:
    """For a layer built of the core post-norm classes (`EncoderLayer`, `Attention`,
    `SelfAttention`, or subclasses) with absolute positions and no cross-attention: the core
    `forward`s, by module, whose math the shortcut reproduces (for `unobserved_rows`); else
    None."""
    from tfx_core.modeling.torch.blocks.encoder import Attention, EncoderLayer, SelfAttention

    attention = layer._modules.get("attention")
    if not (
        isinstance(layer, EncoderLayer)
        and isinstance(attention, Attention)
        and isinstance(attention.self, SelfAttention)
        and attention.self.position_embedding_type == "absolute"
        and "crossattention" not in layer._modules
    ):
        return None
    return {
        layer: EncoderLayer.forward,
        attention: Attention.forward,
        attention.self: SelfAttention.forward,
    }


def last_layer_at_first_token(
    layer: nn.Module, hidden: torch.Tensor, bias: torch.Tensor | None, implementation: str
) -> torch.Tensor | None:
    """The core post-norm `layer`'s output at the first position only (`[batch, 1, hidden]`),
    or None when the layer does not qualify (see the module doc)."""
    forwards = core_layer_forwards(layer)
    if forwards is None or not unobserved_rows(layer, forwards):
        return None
    attention = layer._modules["attention"]
    if bias is not None and bias.shape[-2] != 1:
        bias = bias[..., :1, :]  # a per-query bias: keep the first query's row
    first = hidden[:, :1]
    attended, _ = attention(
        first,
        bias,
        False,
        None,
        None,
        False,
        implementation,
        encoder_hidden_states=hidden,
        cross_cache=None,
    )
    return layer.output(layer.intermediate(attended), attended)
