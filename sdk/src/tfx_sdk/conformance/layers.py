"""What the fast-path checks need to know about a model: its layers, its fast paths, its outputs.

Found generically, without the plugin's help: the layers are the children of the first
`nn.ModuleList` named like a layer stack (`layer`, `layers`, `h`, `blocks`), else the modules
whose class declares a `lean_layout`; a model "uses the core blocks" when a module's class comes
from `tfx_core.modeling.torch.blocks`, declares a `lean_layout`, or owns `FusedProjections`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tfx_sdk.conformance.heads import output_fields
from tfx_sdk.conformance.inputs import in_dtype

#: Attribute names of the layer stacks in the checkpoints (BERT `layer`, GPT-2 `h`, ...).
LAYER_LISTS = ("layer", "layers", "h", "blocks")
_BLOCKS_PACKAGE = "tfx_core.modeling.torch.blocks"


def find_layers(model: Any, prefer: str | None = None) -> list[Any]:
    """The model's transformer layers, in order (empty when none are recognised).

    With several stacks (an encoder-decoder), the first whose path contains `prefer`
    (e.g. "decoder": the layers that run on every generated token), else the first.
    """
    from torch import nn

    stacks = [
        (name, list(module))
        for name, module in model.named_modules()
        if isinstance(module, nn.ModuleList) and name.rsplit(".", 1)[-1] in LAYER_LISTS and module
    ]
    preferred = [layers for name, layers in stacks if prefer and prefer in name.split(".")]
    if preferred or stacks:
        return (preferred or [layers for _, layers in stacks])[0]
    return [m for m in model.modules() if getattr(type(m), "lean_layout", None) is not None]


def uses_core_blocks(model: Any) -> bool:
    """Whether any module is a core block, declares a lean layout, or fuses projections."""
    from tfx_core.modeling.torch.projections import FusedProjections

    for module in model.modules():
        cls = type(module)
        if getattr(cls, "lean_layout", None) is not None:
            return True
        if any(k.__module__.startswith(_BLOCKS_PACKAGE) for k in cls.__mro__):
            return True
        if any(isinstance(value, FusedProjections) for value in vars(module).values()):
            return True
    return False


def engaged_fast_paths(model: Any) -> list[str]:
    """The fast paths an inference call would take now: lean plans and fused projections."""
    import torch

    from tfx_core.modeling.torch.fast_paths import fast_paths
    from tfx_core.modeling.torch.projections import FusedProjections

    found = []
    with torch.no_grad(), fast_paths(True):
        for name, module in model.named_modules():
            lean = getattr(module, "lean_layers", None)
            if callable(lean) and lean() is not None:
                found.append(f"{name or type(model).__name__} (lean plan)")
            for attribute, value in vars(module).items():
                if isinstance(value, FusedProjections) and value.weights() is not None:
                    found.append(f"{name}.{attribute}")
    return found


def engaged_training_plans(model: Any) -> list[str]:
    """The encoder stacks a training call would run through their training plan now."""
    import torch

    from tfx_core.modeling.torch.blocks.lean_encoder import LeanPostNormEncoder
    from tfx_core.modeling.torch.blocks.lean_training import training_plan
    from tfx_core.modeling.torch.fast_paths import fast_paths

    was_training = model.training
    model.train()
    try:
        with torch.enable_grad(), fast_paths(True):
            return [
                f"{name or type(model).__name__} (training plan)"
                for name, module in model.named_modules()
                if isinstance(module, LeanPostNormEncoder) and training_plan(module) is not None
            ]
    finally:
        model.train(was_training)


def needs_blocks(model: Any, prefer: str | None = None) -> list[Any]:
    """The model's layers (see `find_layers`); skips when the model does not use the blocks."""
    if not uses_core_blocks(model):
        pytest.skip(f"{type(model).__name__} does not use the core blocks (no fast paths)")
    layers = find_layers(model, prefer)
    if not layers:
        pytest.skip(
            f"no layer stack found in {type(model).__name__} (an nn.ModuleList named one of "
            f"{', '.join(LAYER_LISTS)}, or modules with a lean_layout)"
        )
    return layers


# --------------------------------------------------------------------------- observing outputs
def observed(model: Any, inputs: dict, head: str, *, fast: bool = True) -> dict[str, Any]:
    """The head's output tensors under `torch.no_grad()`, with fast paths on or off."""
    import torch

    from tfx_core.modeling.torch.fast_paths import fast_paths

    # pixels and waveforms in the model's dtype (as after `model.to(float64)`)
    inputs = in_dtype(inputs, model.dtype)
    with torch.no_grad(), fast_paths(fast):
        output = model(**inputs, return_dict=True)
    names = list(output_fields(head)) or [next(iter(output.keys()))]
    return {name: output[name].detach().clone() for name in names}


def scaled_tolerance(atol: float, values: Any) -> float:
    """`atol` times the largest finite magnitude in `values` beyond 1: float32 rounding grows
    with the values (perturbed weights can give logits near 100)."""
    finite = values[values.isfinite()]
    return atol * max(1.0, float(finite.abs().max()) if finite.numel() else 1.0)


def largest_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, float]:
    """The field that differs most between two `observed` results, and by how much.

    Non-finite values must sit at the same places (a masked -inf is not a difference).
    """
    import torch

    worst = ("", 0.0)
    for name, value in a.items():
        other = b[name]
        if value.shape != other.shape or not torch.equal(value.isfinite(), other.isfinite()):
            return name, float("inf")
        finite = value.isfinite()
        gap = (value[finite].double() - other[finite].double()).abs()
        diff = float(gap.max()) if gap.numel() else 0.0
        if diff > worst[1]:
            worst = (name, diff)
    return worst


# --------------------------------------------------------------------------- changing a layer
def shifted(output: Any) -> Any:
    """A layer's output with a fixed, non-constant vector added to its hidden states.

    A non-constant shift survives a following layer norm, so the model's outputs change.
    """
    import torch

    def shift(hidden: torch.Tensor) -> torch.Tensor:
        step = torch.linspace(-0.5, 0.5, hidden.shape[-1], dtype=hidden.dtype)
        return hidden + step.to(hidden.device)

    if isinstance(output, torch.Tensor):
        return shift(output)
    if isinstance(output, tuple) and output and isinstance(output[0], torch.Tensor):
        return (shift(output[0]), *output[1:])
    pytest.skip(
        f"the layer returns {type(output).__name__}; the kit changes a tensor or a tuple whose "
        "first item is the hidden states"
    )


@contextmanager
def class_patch(cls: type, calls: list[Any]) -> Iterator[Callable]:
    """Replace `cls.forward` by one that records each call and shifts the output; restore it."""
    original = cls.forward
    own = "forward" in cls.__dict__
    own_value = cls.__dict__.get("forward")

    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(type(self).__name__)
        return shifted(original(self, *args, **kwargs))

    cls.forward = forward
    try:
        yield forward
    finally:
        if own:
            cls.forward = own_value
        else:
            del cls.forward


@contextmanager
def shifting_hook(layer: Any, calls: list[Any]) -> Iterator[None]:
    """A forward hook on `layer` that records each call (its input length) and shifts the output."""

    def hook(module: Any, args: tuple, output: Any) -> Any:
        hidden = args[0] if args else None
        calls.append(tuple(hidden.shape) if hasattr(hidden, "shape") else None)
        return shifted(output)

    handle = layer.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
