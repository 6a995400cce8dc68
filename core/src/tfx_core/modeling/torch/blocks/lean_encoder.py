"""Post-norm encoder stacks run lean at inference: the layers' math without module calls.

A small model spends most of a CPU forward in module-call overhead (hooks bookkeeping,
`__getattr__`), not arithmetic. `LeanPostNormEncoder` binds each layer's tensors once into a plan
and, when nothing could observe the difference (`LeanGuard`: no hook, no patched or overridden
`forward`, no adapter, inference, fast paths on), runs the layers by calling the same functions
the modules' `forward`s call (`blocks.functional`) with the bound tensors. Anything else goes
through the modules.

A layer class opts in with a `lean_layout`: where its query/key/value owner, output projections,
norms and activation live. The core `EncoderLayer` declares it; a plugin with its own post-norm
layer (DistilBERT's `TransformerBlock`) declares its paths and marks its classes with
`trusted_forward`; the conformance kit checks that both paths agree.

A plan reused unchanged (from the second forward on) is rebuilt with its large products on
weight copies packed for oneDNN (`packed_linear`: ~1.6x faster over 16 tokens on CPU, at the
cost of the weights' memory once more); the packed copies are dropped and rebuilt when their
weights move or are written in place.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch import first_token
from tfx_core.modeling.torch.blocks.functional import (
    activated,
    multi_head_context,
    residual_norm,
    split_fused_heads,
)
from tfx_core.modeling.torch.blocks.lean_training import (
    bound_norm,
    resolve,
    training_forward,
    training_plan,
)
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted
from tfx_core.modeling.torch.linear import MIN_WEIGHT_ELEMENTS, linear
from tfx_core.modeling.torch.onednn import is_packed, packed_linear


class LeanLayout(NamedTuple):
    """Attribute paths (from the layer) of what a post-norm layer's lean plan binds."""

    attention: str  # the module with `projections` (FusedProjections of query, key, value)
    heads: str  # that module's attribute holding the number of heads
    attention_output: str
    attention_norm: str
    intermediate: str
    activation: str  # an attribute holding the activation callable
    output: str
    output_norm: str


class _LeanLayer(NamedTuple):
    heads: int
    qkv: Callable  # the fused query/key/value product
    attention_output: Callable
    attention_norm: Callable
    intermediate: Callable
    activation: Callable
    output: Callable
    output_norm: Callable


def _bound_product(
    weight: torch.Tensor, bias: torch.Tensor | None, contiguous: bool = True, pack: bool = False
) -> Callable:
    """`linear` with its weights bound; `F.linear` itself for weights `linear` leaves to it;
    with `pack`, the oneDNN-packed product (`packed_linear`) where it applies."""
    if weight.numel() < MIN_WEIGHT_ELEMENTS:  # `linear`'s own first test, decided once
        return partial(F.linear, weight=weight, bias=bias)
    product = packed_linear(weight, bias) if pack else None
    if product is not None:
        return product
    return partial(linear, weight=weight, bias=bias, contiguous=contiguous)


def _bound_linear(
    module: nn.Module, contiguous: bool = True, pack: bool = False
) -> Callable | None:
    if not isinstance(module, nn.Linear):
        return None
    return _bound_product(module.weight, module.bias, contiguous, pack)


def _lean_layer(layer: nn.Module, pack: bool = False) -> _LeanLayer | None:
    """The layer's tensors bound to plain functions, or None if it cannot run lean; with
    `pack`, its large products run from oneDNN-packed copies of the weights."""
    layout: LeanLayout | None = getattr(type(layer), "lean_layout", None)
    if layout is None:
        return None
    attention = resolve(layer, layout.attention)
    if getattr(attention, "position_embedding_type", "absolute") != "absolute":
        return None
    fused = attention.projections.weights()
    qkv = _bound_product(*fused, pack=pack) if fused is not None else None
    bound = (
        _bound_linear(resolve(layer, layout.attention_output), pack=pack),
        bound_norm(resolve(layer, layout.attention_norm)),
        _bound_linear(resolve(layer, layout.intermediate), contiguous=False, pack=pack),
        resolve(layer, layout.activation),
        _bound_linear(resolve(layer, layout.output), pack=pack),
        bound_norm(resolve(layer, layout.output_norm)),
    )
    if qkv is None or any(part is None for part in bound):
        return None
    return _LeanLayer(getattr(attention, layout.heads), qkv, *bound)


#: A plan that served this many forwards unchanged is rebuilt with packed weights (packing
#: costs about one forward and the weights' memory: not worth it for a model called once).
PACK_AFTER_USES = 1
_version = operator.attrgetter("_version")


class _Plan:
    """The bound layers (None: run the modules) and what tells whether they are current."""

    __slots__ = ("guard", "layers", "packed", "pointers", "sources", "stamp", "uses", "watched")

    def __init__(self, encoder: nn.Module, pack: bool = False) -> None:
        self.guard = LeanGuard(encoder)
        self.packed, self.uses = pack, 0
        self.layers, self.watched, self.pointers, self.sources, self.stamp = None, (), (), (), ()
        if not all_trusted(encoder):
            return
        layers = [_lean_layer(layer, pack) for layer in encoder.layer]
        if any(layer is None for layer in layers):
            return
        self.layers = layers
        # The parameters whose memory the fused matrices were copied from, and where it was.
        owners = [resolve(layer, type(layer).lean_layout.attention) for layer in encoder.layer]
        self.watched = tuple(p for owner in owners for p in owner.projections.parameters())
        self.pointers = tuple(map(torch.Tensor.data_ptr, self.watched))
        # The weights packed copies were made of: moved or written in place means repacking.
        sources: list[torch.Tensor] = []
        for owner, lean in zip(owners, layers):
            if is_packed(lean.qkv):
                sources += owner.projections.parameters()
            for product in (lean.attention_output, lean.intermediate, lean.output):
                if is_packed(product):
                    sources.append(product.keywords["weight"])
        self.sources = tuple(sources)
        self.stamp = _stamp(self.sources)

    def current(self, structure_checked: bool = False) -> bool:
        """Same modules and forwards (unless the caller's guard `structure_checked` them); no
        parameter moved (`.to()`, loading) and no packed weight written in place
        (`load_state_dict`, an optimizer step) since."""
        return (
            (structure_checked or self.guard.same_structure())
            and tuple(map(torch.Tensor.data_ptr, self.watched)) == self.pointers
            and (not self.sources or _stamp(self.sources) == self.stamp)
        )


def _stamp(tensors: tuple[torch.Tensor, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return tuple(map(torch.Tensor.data_ptr, tensors)), tuple(map(_version, tensors))


class LeanPostNormEncoder(nn.Module):
    """Base of encoder stacks whose layers live in `self.layer` (an `nn.ModuleList`)."""

    layer: nn.ModuleList
    _lean_plan: ClassVar[_Plan | None] = None

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: list[torch.Tensor | None] | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_bias: torch.Tensor | None = None,
        cross_cache: CrossAttentionCache | None = None,
    ) -> tuple[Any, ...]:
        """Every layer in turn; `(last hidden states, all hidden states, all attentions)`.

        With `encoder_hidden_states` (a decoder with cross-attention) each layer also attends
        over them (`encoder_bias` masks their padding, `cross_cache` keeps their projected keys
        and values) and the cross-attention weights come fourth; such calls go through the
        modules.
        """
        if (
            encoder_hidden_states is None
            and cache is None
            and head_mask is None
            and implementation == "sdpa"
            and not (self.training or output_attentions or is_causal)
        ):
            layers = self.lean_layers()
            if layers is not None:
                return self.lean_forward(hidden_states, bias, layers, output_hidden_states)
        if self.training and not (
            encoder_hidden_states is not None
            or cache is not None
            or head_mask is not None
            or output_attentions
            or output_hidden_states
            or is_causal
        ):
            plan = training_plan(self)
            if plan is not None:
                first_rows = first_token.requested(self)
                return (
                    training_forward(hidden_states, bias, plan, first_rows, implementation),
                    None,
                    None,
                )
        cross = {}
        if encoder_hidden_states is not None:
            cross = {
                "encoder_hidden_states": encoder_hidden_states,
                "encoder_bias": encoder_bias,
                "cross_cache": cross_cache,
            }
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_weights = () if output_attentions else None
        all_cross = () if output_attentions and cross else None
        shortcut = first_token.requested(self) and not (
            cross
            or cache is not None
            or head_mask is not None
            or output_attentions
            or output_hidden_states
            or is_causal
        )
        last = len(self.layer) - 1
        for i, layer in enumerate(self.layer):
            if shortcut and i == last:  # the head reads the first position only
                first = first_token.last_layer_at_first_token(
                    layer, hidden_states, bias, implementation
                )
                if first is not None:
                    return first, None, None
            outputs = layer(
                hidden_states,
                bias,
                is_causal,
                cache,
                head_mask[i] if head_mask is not None else None,
                output_attentions,
                implementation,
                **cross,
            )
            hidden_states = outputs[0]
            if all_hidden is not None:
                all_hidden += (hidden_states,)
            if all_weights is not None:
                all_weights += (outputs[1],)
            if all_cross is not None:
                all_cross += (outputs[2],)
        if cross:
            return hidden_states, all_hidden, all_weights, all_cross
        return hidden_states, all_hidden, all_weights

    def lean_layers(self, checked: bool = False) -> list[_LeanLayer] | None:
        """The bound layers, or None when the modules must be called (see module doc).

        `checked`: the caller made the tests already, with a `LeanGuard` over a subtree holding
        this stack (built before this stack's plan) and the switch (`blocks.lean_model`).
        """
        if not checked and (
            torch.is_grad_enabled()
            or not fast_paths_enabled()
            or torch.compiler.is_compiling()  # an eager-only trick: the compiler fuses anyway
        ):
            return None
        plan = self.__dict__.get("_lean_plan")
        if plan is None or not plan.current(checked):
            plan = self.__dict__["_lean_plan"] = _Plan(self)
        if plan.layers is None or not (checked or plan.guard.quiet()):
            return None
        if not plan.packed:
            plan.uses += 1
            if plan.uses > PACK_AFTER_USES:  # reused: worth packing the weights
                plan = self.__dict__["_lean_plan"] = _Plan(self, pack=True)
        return plan.layers

    def lean_forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None,
        layers: list[_LeanLayer],
        output_hidden_states: bool = False,
    ) -> tuple[torch.Tensor, tuple | None, None]:
        """The layers' inference math through the block functions, with bound tensors."""
        batch, length = hidden_states.shape[:2]
        all_hidden = (hidden_states,) if output_hidden_states else None
        for lean in layers:
            qkv = lean.qkv(hidden_states)
            query, key, value = split_fused_heads(qkv, batch, length, lean.heads)
            context = multi_head_context(query, key, value, bias=bias)[0]
            attended = residual_norm(
                context, hidden_states, lean.attention_output, lean.attention_norm, fresh=True
            )
            inner = activated(attended, lean.intermediate, lean.activation)
            hidden_states = residual_norm(
                inner, attended, lean.output, lean.output_norm, fresh=True
            )
            if all_hidden is not None:
                all_hidden += (hidden_states,)
        return hidden_states, all_hidden, None
