"""Several linear projections of one input as one matrix product, with the same Parameters.

Query, key and value (or a gate and an up projection) read the same input; at inference one
`[sum(out), in]` product is faster than three. `FusedProjections` builds that matrix on first
use by copying the projections' weights into one buffer and re-pointing each Parameter's data at
its slice: the Parameter objects, their names and checkpoint keys stay, so an optimizer, `tie`,
`load_state_dict` and `state_dict()` keep working. It is rebuilt when a Parameter is replaced
or its memory moves (`.to()`, loading), and not used at all when a projection is not a plain
linear layer (an adapter wraps it), carries a hook, or fast paths are off: the modules are then
called one by one.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import torch
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import is_trusted
from tfx_core.modeling.torch.linear import Linear, linear

#: Half-precision inputs of more rows than this run the projections one by one (`weights_for`).
FUSED_HALF_MAX_ROWS = 32
_HALF = (torch.bfloat16, torch.float16)


class _Fused(NamedTuple):
    weight: torch.Tensor
    bias: torch.Tensor | None
    modules: tuple[nn.Module, ...]
    parameters: tuple[nn.Parameter, ...]
    pointers: tuple[int, ...]


def _parameters(modules: tuple[nn.Module, ...]) -> tuple[nn.Parameter, ...]:
    weights = tuple(m.weight for m in modules)
    biases = tuple(m.bias for m in modules if m.bias is not None)
    return weights + biases


def _plain(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Linear)
        and is_trusted(module)
        and not (module._forward_hooks or module._forward_pre_hooks)
        and "forward" not in module.__dict__
    )


class FusedProjections:
    """The projections `names` of `owner` (plain linear layers of one input) fused.

    Not a module: it holds no Parameters of its own, so the owner's state dict is unchanged.
    """

    def __init__(self, owner: nn.Module, names: tuple[str, ...]) -> None:
        self._owner = owner.__dict__  # the owner's attribute dict: no reference cycle
        self.names = names
        self._fused: _Fused | None = None

    def _modules(self) -> tuple[nn.Module, ...]:
        registered = self._owner["_modules"]
        return tuple(registered[name] for name in self.names)

    def current(self) -> bool:
        """The fused matrix exists and still holds the projections' parameters' memory."""
        fused = self._fused
        if fused is None or not all(map(operator.is_, self._modules(), fused.modules)):
            return False  # (identity checks: `==` on parameters would compare values)
        parameters = _parameters(fused.modules)
        return all(map(operator.is_, parameters, fused.parameters)) and (
            tuple(map(torch.Tensor.data_ptr, parameters)) == fused.pointers
        )

    def weights(self) -> tuple[torch.Tensor, torch.Tensor | None] | None:
        """`(weight, bias)` of the fused product, or None when the modules must be called."""
        if torch.is_grad_enabled() or not fast_paths_enabled() or torch.compiler.is_compiling():
            return None
        modules = self._modules()
        if not all(map(_plain, modules)):
            return None
        if self.current():
            return self._fused.weight, self._fused.bias
        with_bias = [m.bias is not None for m in modules]
        if any(with_bias) and not all(with_bias):
            return None
        # Ordinary tensors even under `torch.inference_mode()`: the Parameters' data is
        # re-pointed into this buffer, and inference tensors could not be trained later.
        with torch.inference_mode(False), torch.no_grad():
            weight = torch.cat([m.weight.detach() for m in modules])
            bias = torch.cat([m.bias.detach() for m in modules]) if all(with_bias) else None
            start = 0
            for module in modules:
                stop = start + module.weight.shape[0]
                module.weight.data = weight[start:stop]
                if bias is not None:
                    module.bias.data = bias[start:stop]
                start = stop
        parameters = _parameters(modules)
        pointers = tuple(map(torch.Tensor.data_ptr, parameters))
        self._fused = _Fused(weight, bias, modules, parameters, pointers)
        return weight, bias

    def weights_for(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None] | None:
        """`weights()` for a product over `hidden`, or None where the modules must be called:
        also for a half-precision input of more than `FUSED_HALF_MAX_ROWS` rows, whose fused
        product may not give the separate products' bits (on an AMX machine, bf16 query/key/
        value over 128 rows differed), while more rows leave little call overhead to save."""
        if hidden.dtype in _HALF and hidden.numel() > FUSED_HALF_MAX_ROWS * hidden.shape[-1]:
            return None
        return self.weights()

    def heads(self, hidden: torch.Tensor, heads: int) -> tuple[torch.Tensor, ...]:
        """Each projection of `hidden` `[batch, length, in]` as `[batch, heads, length, dim]`
        (query, key, value): one fused product at inference, else the modules called in turn."""
        from tfx_core.modeling.torch.blocks.functional import split_fused_heads, split_heads

        batch, length = hidden.shape[:2]
        fused = self.weights_for(hidden)
        if fused is not None:
            product = linear(hidden, *fused)
            return split_fused_heads(product, batch, length, heads, parts=len(self.names))
        return tuple(split_heads(m(hidden), batch, length, heads) for m in self._modules())

    def parameters(self) -> tuple[nn.Parameter, ...]:
        """The Parameters the current fused matrix was built from (empty before the first)."""
        return self._fused.parameters if self._fused is not None else ()


__all__ = ["FusedProjections", "Linear"]
