"""Float32 CPU linear products under autograd on oneDNN's matmul primitive (training).

`F.linear` under autograd runs its forward and its input gradient on the BLAS library (MKL
`addmm` / `mm`). oneDNN's matmul primitive (`torch.ops.mkldnn._linear_pointwise`, plain
weights: nothing is laid out or cached, so optimizer updates need no bookkeeping) computes both
faster for the row counts of a training batch; on the 2-core AVX-512 benchmark machine, for
MiniLM's shapes over 1024 rows, the forward `x @ W.T + b` is 10-18% faster and the input
gradient `g @ W` (`W.T` passed as a view, no copy) 10-15% (one thread: both ~8%). The weight gradient `g.T @ x` stays
on MKL (`mm`), which is faster there for most shapes; the bias gradient is `g.sum(0)`, as
autograd computes it for `F.linear`. Results differ from `F.linear`'s by summation order only.

`linear` (the core's product) sends a call here when autograd records it: a float32 CPU
product of at least `TRAIN_ROWS` rows and a weight of `MIN_WEIGHT_ELEMENTS` or more, with fast
paths on, no autocast, no tracing / `torch.compile` / `torch.func` transform, plain tensors.
Anything else goes to `F.linear`. Double backward works: a backward that itself records a graph
(`create_graph=True`) runs the standard differentiable products; forward-mode AD has a `jvp`.

While `torch.compile` traces (dynamo cannot take the Function), the same products go through
the custom ops `tfx::onednn_linear` / `tfx::onednn_linear_input_grad` (opaque to inductor,
which would otherwise emit MKL `addmm` / `mm`), under the same conditions. There double
backward runs standard products; forward-mode AD raises torch's error for custom ops.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import has_torch_function

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled

#: From this many rows (tokens per step) a product recorded by autograd runs on oneDNN.
TRAIN_ROWS = 256


@functools.cache
def onednn_available() -> bool:
    """PyTorch was built with oneDNN and registers the ops tfx calls (also used by `onednn`)."""
    try:
        return (
            torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, "_linear_pointwise")
            and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
        )
    except (AttributeError, RuntimeError):
        return False


def _primitive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """`x @ weight.T + bias` on the primitive (2-D `x`; `weight` may be a strided view)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


def _rows(t: torch.Tensor) -> torch.Tensor:
    """`t` as 2-D rows with unit column stride and non-overlapping rows (copied if need be)."""
    flat = t.reshape(-1, t.shape[-1])
    if flat.stride(-1) != 1 or flat.stride(0) < flat.shape[1]:
        flat = flat.contiguous()
    return flat


class _TrainingLinear(torch.autograd.Function):
    """`F.linear` with the forward and the input gradient on oneDNN (see the module doc)."""

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        flat = _rows(x)
        ctx.shape = x.shape
        ctx.has_bias = bias is not None
        ctx.save_for_backward(flat, weight)
        ctx.save_for_forward(x, weight)
        return _primitive(flat, weight, bias).view(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        flat, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g = grad.reshape(-1, grad.shape[-1])
        grad_x = grad_w = grad_b = None
        if torch.is_grad_enabled():  # double backward: differentiable standard products
            if need_x:
                grad_x = g.mm(weight).view(ctx.shape)
            if need_w:
                grad_w = g.t().mm(flat)
        else:
            if g.stride(-1) != 1 or g.stride(0) < g.shape[1]:  # e.g. `.sum()`'s expanded grad
                g = g.contiguous()
            if need_x:
                grad_x = _primitive(g, weight.t(), None).view(ctx.shape)
            if need_w:
                grad_w = g.t().mm(flat)
        if need_b and ctx.has_bias:
            grad_b = g.sum(0)
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(
        ctx: Any,
        x_tangent: torch.Tensor | None,
        w_tangent: torch.Tensor | None,
        b_tangent: torch.Tensor | None,
    ) -> torch.Tensor:
        x, weight = ctx.saved_tensors  # those given to `save_for_forward`
        terms = [F.linear(x_tangent, weight)] if x_tangent is not None else []
        if w_tangent is not None:
            terms.append(F.linear(x, w_tangent))
        if b_tangent is not None:
            terms.append(b_tangent.expand(*x.shape[:-1], weight.shape[0]))
        if not terms:
            return torch.zeros(*x.shape[:-1], weight.shape[0], dtype=x.dtype)
        return functools.reduce(torch.add, terms)


def uses_onednn_training(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether `training_linear(x, weight, ...)` runs on oneDNN (caller: autograd is on and
    the weight has `MIN_WEIGHT_ELEMENTS` or more)."""
    features = x.shape[-1] if x.dim() else 0
    return (
        features > 0
        and x.numel() // features >= TRAIN_ROWS
        and (x.requires_grad or weight.requires_grad)
        and x.dtype == torch.float32 == weight.dtype
        and x.device.type == "cpu" == weight.device.type
        and weight.dim() == 2
        and weight.shape[1] == features  # a mismatch gets `F.linear`'s error
        and x.layout == torch.strided == weight.layout
        and not x.is_mkldnn
        and not (torch.jit.is_tracing() or torch.compiler.is_compiling())  # before the
        and onednn_available()  # cached probe: dynamo would trace into it and break
        and fast_paths_enabled()
        and not torch.is_autocast_enabled("cpu")
        and not has_torch_function((x, weight))
        and not torch._C._are_functorch_transforms_active()
    )


def training_linear(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """`F.linear(x, weight, bias)` under autograd, on oneDNN when `uses_onednn_training`."""
    if not uses_onednn_training(x, weight) or (
        bias is not None
        and (
            bias.dtype != torch.float32
            or bias.shape != weight.shape[:1]
            or has_torch_function((bias,))
        )
    ):
        if torch.compiler.is_compiling() and _compiled_eligible(x, weight, bias):
            return torch.ops.tfx.onednn_linear(x, weight, bias)
        return F.linear(x, weight, bias)
    return _TrainingLinear.apply(x, weight, bias)


def _compiled_eligible(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> bool:
    """`uses_onednn_training`'s conditions as dynamo can trace them (`_OPS` for the probe)."""
    features = x.shape[-1] if x.dim() else 0
    return (
        _OPS
        and features > 0
        and x.numel() // features >= TRAIN_ROWS
        and (x.requires_grad or weight.requires_grad)
        and x.dtype == torch.float32 == weight.dtype
        and x.device.type == "cpu" == weight.device.type
        and weight.dim() == 2
        and weight.shape[1] == features
        and x.layout == torch.strided == weight.layout
        and (bias is None or (bias.dtype == torch.float32 and bias.shape == weight.shape[:1]))
        and not torch.jit.is_tracing()
        and fast_paths_enabled()
        and not torch.is_autocast_enabled("cpu")
    )


def _op_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """`tfx::onednn_linear`: `_TrainingLinear`'s forward as a custom op (compiled graphs)."""
    return _primitive(_rows(x), weight, bias).view(*x.shape[:-1], weight.shape[0])


def _op_input_grad(grad: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """`tfx::onednn_linear_input_grad`: `grad @ weight` (2-D `grad`) on the primitive."""
    return _primitive(_rows(grad), weight.t(), None)


def _setup_linear(ctx: Any, inputs: tuple, output: torch.Tensor) -> None:
    x, weight, bias = inputs
    ctx.has_bias = bias is not None
    ctx.save_for_backward(x, weight)


def _backward_linear(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    x, weight = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad
    g = grad.reshape(-1, grad.shape[-1])
    grad_x = grad_w = grad_b = None
    if need_x:
        grad_x = torch.ops.tfx.onednn_linear_input_grad(g, weight).view(x.shape)
    if need_w:
        grad_w = g.t().mm(x.reshape(-1, x.shape[-1]))
    if need_b and ctx.has_bias:
        grad_b = g.sum(0)
    return grad_x, grad_w, grad_b


def _setup_input_grad(ctx: Any, inputs: tuple, output: torch.Tensor) -> None:
    ctx.save_for_backward(*inputs)


def _backward_input_grad(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    g, weight = ctx.saved_tensors  # double backward of `g @ weight`: standard products
    need_g, need_w = ctx.needs_input_grad
    return (grad.mm(weight.t()) if need_g else None, g.t().mm(grad) if need_w else None)


def _register() -> bool:
    """Define the custom ops (once per process); False without oneDNN."""
    if not onednn_available():
        return False
    if not hasattr(torch.ops.tfx, "onednn_linear"):  # a reloaded module reuses them
        linear = torch.library.custom_op(
            "tfx::onednn_linear",
            _op_linear,
            mutates_args=(),
            schema="(Tensor x, Tensor weight, Tensor? bias) -> Tensor",
        )
        input_grad = torch.library.custom_op(
            "tfx::onednn_linear_input_grad",
            _op_input_grad,
            mutates_args=(),
            schema="(Tensor grad, Tensor weight) -> Tensor",
        )
        linear.register_fake(lambda x, w, b: x.new_empty(*x.shape[:-1], w.shape[0]))
        input_grad.register_fake(lambda g, w: g.new_empty(g.shape[0], w.shape[1]))
        linear.register_autograd(_backward_linear, setup_context=_setup_linear)
        input_grad.register_autograd(_backward_input_grad, setup_context=_setup_input_grad)
    return True


_OPS = _register()
