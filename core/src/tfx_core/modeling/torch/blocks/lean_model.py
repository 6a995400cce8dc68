"""A BERT-family base model run lean at inference: embeddings, encoder and pooler as one plan.

A small encoder spends most of a CPU forward in Python: module calls, argument handling, one
guard per stack. When a head calls its base model (`EncoderModel`) with plain inputs
(`input_ids`, `attention_mask`, `token_type_ids`; everything else absent), `lean_outputs` runs
the base model's inference math with one `LeanGuard` over the whole base model: the embeddings'
`embed`, the attention bias, the encoder's lean layers and the pooler's `pool`, with the
submodules' tensors bound (`_Lookup`, bound products and norms) instead of the modules called.
These are the functions the modules' `forward`s run, so there is one copy of the math.

Anything observable sends the call through the modules: a hook anywhere in the base model, an
instance or class-level `forward` patch, a class whose `forward` is not trusted (a plugin's own
embeddings), training, autograd, `TFX_FAST_PATHS=0`, output flags, a cache, head masks, position
ids or embeddings as inputs, a decoder config.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from itertools import islice
from typing import Any

import torch
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.blocks.lean_encoder import LeanPostNormEncoder, _bound_linear
from tfx_core.modeling.torch.blocks.lean_training import bound_norm
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted, is_trusted
from tfx_core.modeling.torch.masks import attention_bias

_TENSOR_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Lookup:
    """An `nn.Embedding` (no `max_norm`) at inference: `torch.embedding` with its `weight`."""

    __slots__ = ("weight",)

    def __init__(self, weight: torch.Tensor) -> None:
        self.weight = weight

    def __call__(self, indices: torch.Tensor) -> torch.Tensor:
        return torch.embedding(self.weight, indices)


def bound_module(module: nn.Module) -> Callable | None:
    """The module's inference math with its tensors bound, or None if it has no such form.

    A composite module takes part when its class has `run_parts(parts, *inputs)`, the math of
    its `forward` (which is `self.run_parts(self._modules, *inputs)`) over its children by
    name: it is then run with its children bound (`DenseClassificationHead`).
    """
    kind = type(module)
    if kind is nn.Embedding:
        return _Lookup(module.weight) if module.max_norm is None else None
    if kind is nn.Tanh:
        return torch.tanh
    if kind is nn.ReLU and not module.inplace:
        return torch.relu
    if _forward_runs(module, "run_parts") and is_trusted(module):
        parts = _bound_parts(module)
        return None if parts is None else functools.partial(_run_parts, module, parts)
    return _bound_linear(module) or bound_norm(module)


def _forward_runs(module: Any, method: str) -> bool:
    """The module's `forward` is the one written beside `method` (so it runs `method` over the
    submodules), not an override that may do more."""
    kind = type(module)
    for klass in kind.__mro__:
        if method in klass.__dict__:
            return kind.forward is klass.__dict__.get("forward")
    return False


def _run_parts(module: Any, parts: dict, *inputs: torch.Tensor) -> torch.Tensor:
    return module.run_parts(parts, *inputs)  # looked up per call: a patch of it is honoured


def _bound_parts(module: nn.Module, skip: tuple[str, ...] = ("dropout",)) -> dict | None:
    """Every child of `module` bound by name (those in `skip` left out), or None."""
    parts = {}
    for name, child in module._modules.items():
        if name in skip:
            continue
        bound = bound_module(child) if child is not None else None
        if bound is None:
            return None
        parts[name] = bound
    return parts


@functools.cache
def _accepted(function: Callable) -> frozenset[str]:
    """The argument names `function` accepts (a base model's `forward`, ...)."""
    return frozenset(inspect.signature(function).parameters)


class _BasePlan:
    """What `lean_outputs` binds (None: run the modules), and the guard that keeps it current."""

    __slots__ = ("embeddings", "guard", "pooler")

    def __init__(self, model: nn.Module) -> None:
        self.guard = LeanGuard(model)
        self.embeddings: dict | None = None
        self.pooler: dict | None = None
        modules = model._modules
        encoder = modules.get(model.encoder_attribute)
        embeddings = modules.get("embeddings")
        pooler = modules.get("pooler")
        if (
            not isinstance(encoder, LeanPostNormEncoder)
            or not _forward_runs(encoder, "lean_forward")  # (not a stack doing more: ALBERT's)
            or not _forward_runs(embeddings, "embed")
            or "parts" not in _accepted(type(embeddings).position_embeds)
            or "embeddings_project" in modules
            or (pooler is None and model.__dict__.get("pooler") is not None)
            or (pooler is not None and not _forward_runs(pooler, "pool"))
            or not all_trusted(model)
        ):
            return
        # The encoder's own plan is rebuilt under this guard: it then postdates the guard.
        encoder.__dict__.pop("_lean_plan", None)
        if pooler is not None:
            self.pooler = _bound_parts(pooler)
            if self.pooler is None:
                return
        self.embeddings = _bound_parts(embeddings)


def lean_outputs(
    model: Any, args: tuple, kwargs: dict[str, Any], checked: bool = False
) -> ModelOutput | None:
    """The base model's outputs for `model(*args, **kwargs, return_dict=True)` computed lean,
    or None when the call must go through the modules (see the module doc). `checked`: the
    caller's guard covers the model (`lean_head_parts`), so this one's is not consulted."""
    if len(args) > 2 or not (checked or (not torch.is_grad_enabled() and fast_paths_enabled())):
        return None
    if torch.compiler.is_compiling():
        return None
    accepted = _accepted(type(model).forward)
    for name, value in kwargs.items():
        if name not in accepted:
            return None  # (the module path raises the TypeError)
        if name not in _TENSOR_INPUTS and value is not None and value is not False:
            return None
    if args and kwargs.keys() & set(_TENSOR_INPUTS[: len(args)]):
        return None
    input_ids = args[0] if args else kwargs.get("input_ids")
    mask = args[1] if len(args) > 1 else kwargs.get("attention_mask")
    if not isinstance(input_ids, torch.Tensor) or input_ids.dim() != 2:
        return None
    config = model.config
    if (
        config.is_decoder
        or (config.attn_implementation or "sdpa") != "sdpa"
        or (config.output_attentions and kwargs.get("output_attentions") is None)
        or (config.output_hidden_states and kwargs.get("output_hidden_states") is None)
    ):
        return None
    state = model.__dict__
    plan = state.get("_lean_base_plan")
    if plan is None or not (checked or plan.guard.same_structure()):
        plan = state["_lean_base_plan"] = _BasePlan(model)
    parts = plan.embeddings
    if parts is None or not (checked or plan.guard.quiet()):
        return None
    modules = model._modules
    encoder = modules[model.encoder_attribute]
    layers = encoder.lean_layers(checked=True)
    if layers is None:
        return None
    embeddings = modules["embeddings"]
    hidden = embeddings.embed(parts, input_ids, kwargs.get("token_type_ids"))
    bias = attention_bias(
        mask, query_length=hidden.shape[1], dtype=hidden.dtype, device=hidden.device
    )[0]
    hidden = encoder.lean_forward(hidden, bias, layers)[0]
    outputs = {"last_hidden_state": hidden, "hidden_states": None, "attentions": None}
    if plan.pooler is not None:
        outputs["pooler_output"] = modules["pooler"].pool(plan.pooler, hidden)
    return model.base_output_class.of(outputs)


class _HeadPlan:
    """A head's own layers bound (None: call them), and the one guard over the whole model."""

    __slots__ = ("guard", "parts")

    def __init__(self, head: Any) -> None:
        self.guard = LeanGuard(head)
        self.parts: dict | None = None
        prefix = head.base_model_prefix
        base = head._modules.get(prefix)
        if (
            getattr(type(base), "lean_base", None) is None
            or "parts" not in _accepted(type(head).head_features)
            or "parts" not in _accepted(type(head).classify)
            or not all(map(is_trusted, islice(head.modules(), 1, None)))  # (the head: running)
        ):
            return
        base.__dict__.pop("_lean_base_plan", None)  # rebuilt under this guard: it postdates it
        parts = {}
        for name, child in head._modules.items():
            if name in (prefix, "dropout"):  # (dropout: the identity at inference)
                continue
            bound = bound_module(child) if child is not None else None
            if bound is None:
                return
            parts[name] = bound
        self.parts = parts


def lean_head_parts(head: Any) -> dict | None:
    """A classifier head's own layers bound for a lean forward, by name, when the whole model
    (head and base) may run lean now; else None. Its base then runs `lean_base(..., checked)`."""
    if torch.is_grad_enabled() or not fast_paths_enabled() or torch.compiler.is_compiling():
        return None  # (a lean plan is an eager-only trick: the compiler fuses the modules)
    state = head.__dict__
    plan = state.get("_lean_head_plan")
    if plan is None or not plan.guard.same_structure():
        plan = state["_lean_head_plan"] = _HeadPlan(head)
    if plan.parts is None or not plan.guard.quiet():
        return None
    return plan.parts
