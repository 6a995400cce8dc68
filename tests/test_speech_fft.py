"""The positional convolution as a product of spectra (`fft_conv`) equals the convolution, keeps
padded frames exact, and steps aside for hooks, patches, autograd and `TFX_FAST_PATHS=0`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch.blocks import fft_conv
from tfx_core.modeling.torch.blocks.speech import PositionalConvEmbedding
from tfx_core.modeling.torch.fast_paths import fast_paths


@pytest.mark.parametrize("kernel", [32, 33])
@pytest.mark.parametrize(("batch", "frames"), [(1, 8), (2, 37), (3, 200)])
def test_spectral_conv_equals_the_convolution(kernel: int, batch: int, frames: int) -> None:
    torch.manual_seed(0)
    channels, groups, padding = 64, 4, kernel // 2
    weight = torch.randn(channels, channels // groups, kernel) / 20
    bias = torch.randn(channels)
    hidden = torch.randn(batch, frames, channels)
    if batch > 1:
        hidden[1, frames // 2 :] = 0.0  # a padded clip
    size = fft_conv.segment_size(kernel)
    with torch.inference_mode():
        spectrum = fft_conv.weight_spectrum(weight, groups, size)
        got = fft_conv.spectral_conv(hidden, spectrum, bias, kernel, padding, size)
    expected = F.conv1d(
        hidden.double().transpose(1, 2),
        weight.double(),
        bias.double(),
        padding=padding,
        groups=groups,
    )[:, :, :frames].transpose(1, 2)
    assert got.shape == (batch, frames, channels)
    torch.testing.assert_close(got.double(), expected, rtol=0, atol=1e-5)
    if batch > 1:  # outputs that see only zeros are exactly the bias, as in the convolution
        unreached = got[1, frames // 2 + padding :]
        assert torch.equal(unreached, bias.expand_as(unreached))


def _embedding(kernel: int = 32) -> PositionalConvEmbedding:
    config = SimpleNamespace(
        hidden_size=64,
        num_conv_pos_embeddings=kernel,
        num_conv_pos_embedding_groups=4,
        feat_extract_activation="gelu",
    )
    torch.manual_seed(0)
    embedding = PositionalConvEmbedding(config).eval()
    with torch.no_grad():
        embedding.conv.bias.normal_()
    return embedding


def _module_path(embedding: PositionalConvEmbedding, hidden: torch.Tensor) -> torch.Tensor:
    with fast_paths(False):
        return embedding(hidden)


@pytest.mark.parametrize(("kernel", "frames"), [(32, 8), (32, 99), (33, 40)])
def test_embedding_uses_the_spectra_where_worthwhile(kernel: int, frames: int) -> None:
    embedding = _embedding(kernel)
    hidden = torch.randn(2, frames, 64)
    with torch.inference_mode():
        assert embedding._spectral(hidden)
        assert not embedding._spectral(hidden[:, :4])  # below the crossover: the convolution
        fast = embedding(hidden)
        expected = _module_path(embedding, hidden)
    torch.testing.assert_close(fast, expected, rtol=0, atol=1e-5)


def test_spectrum_follows_weight_changes() -> None:
    embedding = _embedding()
    hidden = torch.randn(1, 50, 64)
    with torch.inference_mode():
        embedding(hidden)
    with torch.no_grad():  # weight norm's direction: the cached spectrum must be rebuilt
        embedding.conv.parametrizations.weight.original1.mul_(torch.rand(1, 1, 32) + 0.5)
        embedding.conv.parametrizations.weight.original0.mul_(2.0)
    with torch.inference_mode():
        fast = embedding(hidden)
        expected = _module_path(embedding, hidden)
    torch.testing.assert_close(fast, expected, rtol=0, atol=1e-5)


def test_embedding_steps_aside_for_hooks_patches_autograd_and_the_switch(monkeypatch) -> None:
    embedding = _embedding()
    hidden = torch.randn(1, 50, 64)
    calls = []
    with torch.inference_mode():
        assert embedding._spectral(hidden)
    assert not embedding._spectral(hidden)  # autograd on: the convolution (training path)
    weight_norm = embedding.conv.parametrizations.weight[0]
    for module in (embedding.conv, weight_norm):
        handle = module.register_forward_hook(lambda *args: calls.append(1))
        with torch.inference_mode():
            assert not embedding._spectral(hidden)
            embedding(hidden)
        handle.remove()
    assert len(calls) == 2
    original = torch.nn.Conv1d.forward
    monkeypatch.setattr(
        torch.nn.Conv1d, "forward", lambda self, x: calls.append(1) or original(self, x)
    )
    with torch.inference_mode():
        assert not embedding._spectral(hidden)
        embedding(hidden)
    assert len(calls) == 3
    monkeypatch.undo()
    embedding.conv.forward = lambda x: calls.append(1) or original(embedding.conv, x)
    with torch.inference_mode():
        assert not embedding._spectral(hidden)
    del embedding.conv.forward
    monkeypatch.setenv("TFX_FAST_PATHS", "0")
    with torch.inference_mode():
        assert not embedding._spectral(hidden)
    monkeypatch.delenv("TFX_FAST_PATHS")
    with torch.inference_mode():
        assert embedding._spectral(hidden)
