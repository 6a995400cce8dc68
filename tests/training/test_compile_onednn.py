"""Under `torch.compile`, training products run on oneDNN through the `tfx::` custom ops.

Dynamo cannot trace `_TrainingLinear` (an autograd Function with a `jvp`), so while compiling
`training_linear` calls `tfx::onednn_linear`, whose backward calls
`tfx::onednn_linear_input_grad`. Outputs and gradients match eager `F.linear`.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch import onednn_training
from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.onednn_training import training_linear

dynamo = pytest.importorskip("torch._dynamo")
if not dynamo.is_dynamo_supported():
    pytest.skip("torch.compile (dynamo) is not supported here", allow_module_level=True)
if not onednn_training._OPS:
    pytest.skip("PyTorch without oneDNN: no custom ops", allow_module_level=True)


def _inputs(rows: int = 300, bias: bool = True, seed: int = 0) -> tuple:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, rows // 3, 48, generator=gen, requires_grad=True)
    w = torch.randn(40, 48, generator=gen, requires_grad=True)
    b = torch.randn(40, generator=gen, requires_grad=True) if bias else None
    return x, w, b


def _step(x, w, b):
    return torch.tanh(training_linear(x, w, b)).square().sum()


def _grads(fn, x, w, b) -> tuple:
    out = fn(x, w, b)
    leaves = [t for t in (x, w, b) if t is not None]
    return (out.detach(), *torch.autograd.grad(out, leaves))


def _ops_in_graph(fn, *args) -> list[str]:
    """Names of the `tfx::` ops in dynamo's captured graph(s) of `fn(*args)`."""
    seen: list[str] = []

    def backend(gm, example_inputs):
        seen.extend(str(n.target) for n in gm.graph.nodes if "tfx." in str(n.target))
        return gm.forward

    dynamo.reset()
    torch.compile(fn, backend=backend, fullgraph=True)(*args)
    return seen


@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
@pytest.mark.parametrize("bias", [True, False])
def test_compiled_outputs_and_grads_match_eager(backend, bias):
    x, w, b = _inputs(bias=bias)
    expected = _grads(lambda x, w, b: torch.tanh(F.linear(x, w, b)).square().sum(), x, w, b)
    dynamo.reset()
    got = _grads(torch.compile(_step, backend=backend, fullgraph=True), x, w, b)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-5)


def test_input_only_and_weight_only_grads():
    x, w, b = _inputs()
    for frozen in ("x", "w"):
        xx = x.detach().requires_grad_(frozen != "x")
        ww = w.detach().requires_grad_(frozen != "w")
        leaf = ww if frozen == "x" else xx
        ref = torch.autograd.grad(torch.tanh(F.linear(xx, ww, b)).square().sum(), leaf)[0]
        dynamo.reset()
        out = torch.compile(_step, backend="aot_eager", fullgraph=True)(xx, ww, b)
        torch.testing.assert_close(torch.autograd.grad(out, leaf)[0], ref, atol=1e-5, rtol=1e-5)


def test_op_used_only_under_the_eager_conditions():
    x, w, b = _inputs()
    assert _ops_in_graph(_step, x, w, b) == ["tfx.onednn_linear"]
    small = _inputs(rows=30)
    assert _ops_in_graph(_step, *small) == []  # below TRAIN_ROWS
    assert _ops_in_graph(_step, x.detach(), w.detach(), b.detach()) == []  # no autograd
    assert _ops_in_graph(_step, x.double(), w.double(), b.double()) == []
    with fast_paths(False):
        assert _ops_in_graph(_step, x, w, b) == []


def test_backward_graph_runs_the_input_grad_op():
    x, w, b = _inputs()
    seen: list[str] = []

    def backend(gm, example_inputs):
        from torch._functorch.aot_autograd import aot_module_simplified

        def keep(g, _):
            seen.extend(str(n.target) for n in g.graph.nodes if "tfx." in str(n.target))
            return g.forward

        return aot_module_simplified(gm, example_inputs, fw_compiler=keep, bw_compiler=keep)

    dynamo.reset()
    torch.compile(_step, backend=backend, fullgraph=True)(x, w, b).backward()
    assert "tfx.onednn_linear.default" in seen
    assert "tfx.onednn_linear_input_grad.default" in seen


def test_custom_ops_double_backward_eager():
    """Called directly (as a compiled graph's ops run), first and second derivatives match."""
    x, w, b = _inputs()
    out = torch.ops.tfx.onednn_linear(x, w, b).square().sum()
    ref = F.linear(x, w, b).square().sum()
    got = torch.autograd.grad(out, (x, w, b), create_graph=True)
    expected = torch.autograd.grad(ref, (x, w, b), create_graph=True)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, atol=1e-4, rtol=1e-5)
    second = torch.autograd.grad(sum(g.square().sum() for g in got[:2]), (x, w))
    expected = torch.autograd.grad(sum(e.square().sum() for e in expected[:2]), (x, w))
    for s, e in zip(second, expected):
        torch.testing.assert_close(s, e, atol=1e-2, rtol=1e-4)


def test_compiled_double_backward_and_forward_mode_raise_clearly():
    x, w, b = _inputs()
    dynamo.reset()
    compiled = torch.compile(_step, backend="aot_eager")
    (gx,) = torch.autograd.grad(compiled(x, w, b), x, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(gx.sum(), w)
    import torch.autograd.forward_ad as fwad

    with fwad.dual_level(), pytest.raises(NotImplementedError, match="jvp"):
        compiled(fwad.make_dual(x.detach(), torch.ones_like(x)), w, b)


def test_trainer_compile_scopes_fallback_random_to_its_wrapper(tmp_path):
    from tfx_core.training import TrainingArguments
    from tfx_core.training.trainer import compile_module

    module = torch.nn.Linear(4, 4)
    wrapper = compile_module(module, TrainingArguments(tmp_path, torch_compile=True))
    assert wrapper.get_compiler_config()["fallback_random"] is True
    import torch._inductor.config as inductor_config

    assert inductor_config.fallback_random is False  # the global setting is untouched
    args = TrainingArguments(tmp_path, torch_compile_mode="max-autotune-no-cudagraphs")
    assert compile_module(module, args).get_compiler_config()["fallback_random"] is False
