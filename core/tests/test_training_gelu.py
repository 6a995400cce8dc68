"""`activations.training_gelu` and the BERT-style `Intermediate` using it under autograd."""

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.activations import NATIVE_GELU_MAX, training_gelu
from tfx_core.modeling.torch.blocks.encoder import Intermediate
from tfx_core.modeling.torch.fast_paths import fast_paths


def _native(fn, *args):
    """`fn(*args)` with oneDNN switched off: torch's own kernels."""
    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        return fn(*args)
    finally:
        torch.backends.mkldnn.enabled = enabled


@pytest.mark.parametrize(
    "shape", [(128, 37), (8, 16, 37), (8, 1, 37), (2, 2), (1, NATIVE_GELU_MAX)]
)
def test_small_tensors_take_torchs_kernel_forward_and_backward(shape):
    x = (torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 3).requires_grad_()
    upstream = torch.randn(shape)
    out = training_gelu(x)
    assert out.shape == x.shape and out.is_contiguous()
    assert torch.equal(out, _native(F.gelu, x.detach()))
    (grad,) = torch.autograd.grad(out, x, upstream)
    assert torch.equal(grad, _native(torch.ops.aten.gelu_backward, upstream, x.detach()))
    (reference,) = torch.autograd.grad(F.gelu(x), x, upstream)  # oneDNN: rounding apart
    torch.testing.assert_close(grad, reference, atol=2e-6, rtol=1e-6)


@pytest.mark.parametrize(
    "x",
    [
        torch.randn(1, 127),  # odd count
        torch.randn(2),  # too small for a non-contiguous (n/2, 2) view
        torch.randn(1, NATIVE_GELU_MAX + 2),  # large: oneDNN is faster there
        torch.randn(4, 64, dtype=torch.float64),
        torch.randn(64, 4).t(),  # not contiguous: torch's kernel anyway
    ],
)
def test_other_tensors_are_f_gelu_as_it_is(x):
    x = x.requires_grad_()
    out = training_gelu(x)
    assert torch.equal(out, F.gelu(x))
    assert type(out.grad_fn).__name__ == "GeluBackward0"


def test_double_backward():
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(training_gelu, (x,))
    y = torch.randn(6, 6, requires_grad=True)
    (g,) = torch.autograd.grad(training_gelu(y).sum(), y, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), y)
    (want_g,) = torch.autograd.grad(F.gelu(y).sum(), y, create_graph=True)
    (want_gg,) = torch.autograd.grad(want_g.sum(), y)
    torch.testing.assert_close(gg, want_gg, atol=1e-5, rtol=1e-5)


class _Config:
    hidden_size = 8
    intermediate_size = 12
    hidden_act = "gelu"


def _intermediate_calls(monkeypatch, **kwargs):
    import tfx_core.modeling.torch.activations as activations

    calls = []
    real = activations.training_gelu
    monkeypatch.setattr(activations, "training_gelu", lambda x: calls.append(1) or real(x))
    block = Intermediate(_Config()).train()
    x = torch.randn(2, 3, 8)
    out = block(x)
    torch.testing.assert_close(out, F.gelu(block.dense(x)), atol=2e-6, rtol=1e-6)
    return block, calls


def test_intermediate_uses_it_in_training_only(monkeypatch):
    block, calls = _intermediate_calls(monkeypatch)
    assert calls == [1]
    with torch.no_grad():
        block(torch.randn(2, 3, 8))
    block.eval()  # autograd on in eval mode: F.gelu, bitwise as with fast paths off
    x = torch.randn(2, 3, 8)
    out = block(x)
    with fast_paths(False):
        assert torch.equal(block(x), out)
    block.train()
    with fast_paths(False):  # the plain path: F.gelu as the reference
        out = block(torch.randn(2, 3, 8))
    assert type(out.grad_fn).__name__ == "GeluBackward0"
    assert calls == [1]


def test_intermediate_keeps_a_replaced_activation(monkeypatch):
    block, calls = _intermediate_calls(monkeypatch)
    block.intermediate_act_fn = torch.tanh
    x = torch.randn(2, 3, 8)
    assert torch.equal(block(x), torch.tanh(block.dense(x)))
    assert calls == [1]
