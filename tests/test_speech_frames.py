"""The speech feature encoder's time-major products and the fused products of the pre-norm layer
equal the module paths, and step aside when a hook or `TFX_FAST_PATHS=0` is set."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.blocks.pre_norm_encoder import PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.speech import ConvFeatureEncoder
from tfx_core.modeling.torch.onednn import dense, onednn_available

pytestmark = pytest.mark.skipif(not onednn_available(), reason="needs PyTorch's oneDNN ops")


def _config(norm: str, activation: str = "gelu") -> SimpleNamespace:
    return SimpleNamespace(
        conv_dim=(32, 32, 32),
        conv_kernel=(10, 3, 2),
        conv_stride=(5, 2, 2),
        conv_bias=norm == "layer",
        feat_extract_norm=norm,
        feat_extract_activation=activation,
    )


def _module_path(encoder: ConvFeatureEncoder, values: torch.Tensor) -> torch.Tensor:
    hidden = values[:, None]
    for layer in encoder.conv_layers:
        hidden = layer(hidden)
    return hidden


@pytest.mark.parametrize(
    ("norm", "activation"), [("group", "gelu"), ("layer", "gelu"), ("group", "relu")]
)
def test_feature_frames_equal_the_convolutions(norm: str, activation: str) -> None:
    torch.manual_seed(0)
    encoder = ConvFeatureEncoder(_config(norm, activation)).eval()
    with torch.no_grad():
        for parameter in encoder.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    values = torch.randn(2, 4000) + 0.5  # an offset: the folded GroupNorm must remove it
    with torch.inference_mode():
        assert encoder._as_frames(values)
        fast = encoder(values)
        expected = _module_path(encoder, values)
    assert fast.shape == expected.shape and fast.stride()[1] == 1  # time-major underneath
    torch.testing.assert_close(fast, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("norm", ["group", "layer"])
@pytest.mark.parametrize("min_rows", [50, 150])  # all four layers streamed / the first three
def test_streamed_blocks_equal_the_convolutions(norm: str, min_rows: int, monkeypatch) -> None:
    from tfx_core.modeling.torch.blocks import speech_frames

    config = _config(norm)
    config.conv_dim, config.conv_kernel, config.conv_stride = (48,) * 4, (10, 3, 3, 2), (5, 2, 2, 2)
    torch.manual_seed(0)
    encoder = ConvFeatureEncoder(config).eval()
    values = torch.randn(2, 4003) + 0.5  # 799 / 399 / 199 / 99 rows
    monkeypatch.setattr(speech_frames, "STREAM_MIN_ROWS", min_rows)
    monkeypatch.setattr(speech_frames, "BLOCK_ROWS", 64)  # 8 or 16 output rows per block
    blocks = []
    first_layer = speech_frames._copied_layer
    monkeypatch.setattr(
        speech_frames, "_copied_layer", lambda *args: blocks.append(1) or first_layer(*args)
    )
    with torch.inference_mode():
        assert encoder._as_frames(values)
        fast = encoder(values)
        expected = _module_path(encoder, values)
    assert len(blocks) == 2 * 12  # per clip: 99 rows in blocks of 8 or 9, or 199 of 16 or 17
    torch.testing.assert_close(fast, expected, rtol=1e-5, atol=1e-5)


def test_feature_frames_step_aside_for_hooks_and_the_switch(monkeypatch) -> None:
    encoder = ConvFeatureEncoder(_config("group")).eval()
    values = torch.randn(1, 2000)
    seen = []
    handle = encoder.conv_layers[1].conv.register_forward_hook(lambda *args: seen.append(1))
    with torch.inference_mode():
        assert not encoder._as_frames(values)
        encoder(values)
    assert seen == [1]
    handle.remove()
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    with torch.inference_mode():
        assert not encoder._as_frames(values)
    monkeypatch.delenv("TFX_FAST_PATHS")
    with torch.inference_mode():
        assert encoder._as_frames(values)
    assert not encoder._as_frames(values)  # autograd on: the modules run


def test_dense_post_ops_match_separate_ops() -> None:
    torch.manual_seed(0)
    x, weight, bias = torch.randn(300, 64), torch.randn(256, 64) / 8, torch.randn(256)
    residual = torch.randn(300, 256)
    with torch.inference_mode():
        product = F.linear(x.double(), weight.double(), bias.double())
        gelu = dense(x, weight, bias, gelu=True)
        added = dense(x, weight, bias, residual=residual)
        windows = torch.randn(300, 128)[:, :64]  # rows wider than the input: read in place
        strided = dense(windows, weight, bias)
    torch.testing.assert_close(gelu.double(), F.gelu(product), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(added.double(), product + residual.double(), rtol=1e-5, atol=1e-5)
    expected = F.linear(windows.double(), weight.double(), bias.double())
    torch.testing.assert_close(strided.double(), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        dense(x, weight, bias, gelu=True, residual=residual)


@pytest.mark.parametrize("norm_first", [True, False])
def test_fused_layer_products_equal_the_modules(norm_first: bool, monkeypatch) -> None:
    config = SimpleNamespace(
        hidden_size=64,
        num_attention_heads=4,
        intermediate_size=256,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )
    layer_class = type("Layer", (PreNormEncoderLayer,), {"norm_first": norm_first})
    torch.manual_seed(0)
    layer = layer_class(config).eval()
    hidden = torch.randn(2, 200, 64)
    with torch.inference_mode():
        assert layer.fuses_products()
        fused = layer(hidden)[0]
        first = layer(hidden, first_rows=1)[0]
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    with torch.inference_mode():
        assert not layer.fuses_products()
        plain = layer(hidden)[0]
    monkeypatch.delenv("TFX_FAST_PATHS")
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(first, plain[:, :1], rtol=1e-5, atol=1e-5)
    calls = []
    layer.intermediate.dense.register_forward_hook(lambda *args: calls.append(1))
    with torch.inference_mode():
        assert not layer.fuses_products()
        layer(hidden)
    assert calls == [1]


def test_dense_layout_follows_in_place_writes() -> None:
    from tfx_core.modeling.torch.onednn import DenseLinear

    torch.manual_seed(0)
    layer, x = DenseLinear(256, 512), torch.randn(300, 256)
    with torch.inference_mode():
        first = layer(x)
    with torch.no_grad():
        layer.weight.mul_(2.0)  # the laid-out copy must be rebuilt
    with torch.inference_mode():
        second = layer(x)
    expected = F.linear(x.double(), layer.weight.double(), layer.bias.double())
    torch.testing.assert_close(second.double(), expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(first, second)
