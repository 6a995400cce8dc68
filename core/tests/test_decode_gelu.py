"""`activations.gelu`: small float32 CPU tensors take torch's own GELU kernel (not oneDNN's),
bitwise, in the input's shape and layout; everything else is `F.gelu` as it is."""

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.activations import (
    NATIVE_GELU_MAX,
    activation_fn,
    decode_activation,
    gelu,
)


def native_gelu(x: torch.Tensor) -> torch.Tensor:
    """`F.gelu` with oneDNN switched off: torch's own kernel."""
    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        return F.gelu(x)
    finally:
        torch.backends.mkldnn.enabled = enabled


@pytest.mark.parametrize("shape", [(1, 128), (4, 20), (3, 2, 64), (4,), (1, NATIVE_GELU_MAX)])
def test_small_float32_tensors_get_torchs_kernel_bitwise(shape):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 3
    out = gelu(x)
    assert out.shape == x.shape and out.is_contiguous()
    assert torch.equal(out, native_gelu(x))
    torch.testing.assert_close(out, F.gelu(x), atol=2e-6, rtol=1e-6)  # oneDNN: rounding


@pytest.mark.parametrize(
    "x",
    [
        torch.randn(1, 127),  # odd count: no (2, n/2) view
        torch.randn(2),  # (2, 1) would count as contiguous
        torch.randn(1, NATIVE_GELU_MAX + 2),  # large: oneDNN's turn
        torch.randn(4, 64, dtype=torch.float64),
        torch.randn(4, 64, dtype=torch.bfloat16),
        torch.randn(64, 4).t(),  # already not contiguous
    ],
)
def test_other_tensors_are_f_gelu_as_it_is(x):
    assert torch.equal(gelu(x), F.gelu(x))


def test_values_of_a_strided_or_offset_view_are_read_in_place():
    base = torch.randn(3, 64)
    row = base[1:2]  # contiguous, storage offset 64
    assert torch.equal(gelu(row), native_gelu(row.clone()))


def test_autograd_inputs_keep_f_gelu_and_its_gradient():
    x = torch.randn(2, 32, requires_grad=True)
    gelu(x).sum().backward()
    expected = x.detach().clone().requires_grad_(True)
    F.gelu(expected).sum().backward()
    assert torch.equal(x.grad, expected.grad)


def test_decode_plans_bind_gelu_for_f_gelu_only():
    assert decode_activation(activation_fn("gelu")) is gelu
    for name in ("relu", "gelu_new", "silu", "quick_gelu"):
        assert decode_activation(activation_fn(name)) is activation_fn(name)
