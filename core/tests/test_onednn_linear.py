"""`dense`: oneDNN products equal to `F.linear`, taken only where they pay, and `DenseLinear`."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths
from tfx_core.modeling.torch.onednn import DenseLinear, dense, onednn_available, uses_onednn

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="PyTorch built without oneDNN")


def _weights(out_features=512, in_features=256):
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(out_features, in_features, generator=generator) * 0.05
    return weight, torch.randn(out_features, generator=generator)


@needs_onednn
@pytest.mark.parametrize("with_bias", [True, False])
def test_large_products_run_on_onednn_and_equal_f_linear(with_bias):
    weight, bias = _weights()
    bias = bias if with_bias else None
    x = torch.randn(2, 150, 256)
    transposed = torch.randn(2, 256, 150).transpose(1, 2)  # not contiguous
    with torch.inference_mode():
        assert uses_onednn(x, weight)
        for inputs in (x, transposed):
            out = dense(inputs, weight, bias)
            assert out.shape == (2, 150, 512)
            assert torch.allclose(out, F.linear(inputs, weight, bias), atol=1e-5)


def test_other_products_keep_f_linear():
    weight, bias = _weights()
    x = torch.randn(2, 150, 256)
    assert not uses_onednn(x, weight)  # autograd on
    with torch.inference_mode():
        assert not uses_onednn(x[:, :10], weight)  # few rows: the weight-major `linear`
        assert not uses_onednn(x.double(), weight.double())
        assert not uses_onednn(x, weight[:8])  # small weight
        with fast_paths(False):
            assert not uses_onednn(x, weight)
        small = dense(x[:, :10], weight, bias)
    assert torch.allclose(small, F.linear(x[:, :10], weight, bias), atol=1e-5)


def test_dense_linear_is_a_linear_with_its_keys_and_hooks():
    layer = DenseLinear(256, 512)
    assert isinstance(layer, nn.Linear) and set(layer.state_dict()) == {"weight", "bias"}
    layer.register_forward_hook(lambda module, args, out: out * 0)
    with torch.inference_mode():
        assert not layer(torch.randn(300, 256)).any()
    out = DenseLinear(4, 3)(torch.randn(2, 4))
    out.sum().backward()  # trains like nn.Linear


def test_traced_graphs_keep_the_standard_op():
    weight, bias = _weights()
    with torch.no_grad():
        traced = torch.jit.trace(
            lambda x: dense(x, weight, bias), torch.randn(300, 256), check_trace=False
        )
    assert "mkldnn" not in str(traced.graph) and "linear" in str(traced.graph)
