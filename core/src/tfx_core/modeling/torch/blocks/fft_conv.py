"""Grouped 1-D convolutions with long kernels as products of spectra (overlap-save), at inference.

Wav2Vec2's positional convolution (768 channels in 16 groups, kernel 128) over the ~500 frames of
10 s of audio costs `frames x 768 x 48 x 128` multiply-adds done directly. In the frequency
domain a convolution is a product per frequency; across channels, per group and frequency, a
`48 x 48` complex matrix (the weights' spectrum) times the input's spectrum:

- overlap-save: the zero-padded input is cut into segments of `size` frames (`size = 2 * kernel`)
  overlapping by `kernel - 1`; each segment's circular convolution yields `size - kernel + 1`
  exact outputs, so all segments of all clips go through one batched product;
- the weights' spectrum (conjugated: `nn.Conv1d` correlates) is computed once in float64 and
  kept, laid out `[frequency x group, in, out]`, until a weight changes in place or is replaced;
  it holds `groups x (C / groups)^2 x (size / 2 + 1)` complex values (38 MB for Wav2Vec2-base);
- float32 FFTs (pocketfft); results agree with the convolution to float rounding (measured max
  difference 5e-7 on outputs of magnitude 2.4, below the direct convolution's own error).

`spectral_conv` computes the convolution; `worthwhile` says for which lengths it is faster.
"""

from __future__ import annotations

import torch
from torch import nn

#: The FFT path is used from `CROSSOVER * kernel` frames on, for kernels of `MIN_KERNEL` taps or
#: more. Measured on one thread against `F.conv1d`: Wav2Vec2-base (768 channels, 16 groups,
#: kernel 128) breaks even near 24 frames, is 2x faster at 32 and 7x at 500 (10 s of audio);
#: at 32 channels and kernel 16 the FFT's fixed costs lose (1.25x slower at 78 frames).
CROSSOVER = 0.25
MIN_KERNEL = 32


def worthwhile(frames: int, kernel: int) -> bool:
    """Whether the FFT path beats the direct convolution for `frames` inputs (see `CROSSOVER`)."""
    return kernel >= MIN_KERNEL and frames >= CROSSOVER * kernel


def segment_size(kernel: int) -> int:
    """FFT length for a kernel: `2 * kernel` (half of each segment's outputs are exact)."""
    return 2 * kernel


def weight_spectrum(weight: torch.Tensor, groups: int, size: int) -> torch.Tensor:
    """`weight [out, in / groups, kernel]` -> conjugated spectra `[freq * groups, in, out]`."""
    out_channels, per_group, _ = weight.shape
    with torch.inference_mode(False), torch.no_grad():
        spectrum = torch.fft.rfft(weight.detach().double(), n=size, dim=-1).conj()
        frequencies = spectrum.shape[-1]
        spectrum = spectrum.view(groups, out_channels // groups, per_group, frequencies)
        spectrum = spectrum.permute(3, 0, 2, 1).reshape(frequencies * groups, per_group, -1)
        return spectrum.to(torch.complex64).contiguous()


def cached_spectrum(conv: nn.Conv1d, size: int) -> torch.Tensor:
    """`weight_spectrum` of `conv.weight` (a weight-norm parametrization is evaluated), kept on
    the module until one of its parameters is replaced or written in place."""
    stamp = (size, *((p.data_ptr(), p._version) for p in conv.parameters()))
    cached = conv.__dict__.get("_tfx_spectrum")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with torch.no_grad():
        spectrum = weight_spectrum(conv.weight, conv.groups, size)
    conv.__dict__["_tfx_spectrum"] = (stamp, spectrum)
    return spectrum


def spectral_conv(
    hidden: torch.Tensor,
    spectrum: torch.Tensor,
    bias: torch.Tensor | None,
    kernel: int,
    padding: int,
    size: int,
) -> torch.Tensor:
    """`conv1d` of time-major `hidden [batch, frames, channels]` (zero `padding` on both sides,
    stride 1) -> its first `frames` outputs, time-major, through `spectrum`."""
    batch, frames, channels = hidden.shape
    groups = spectrum.shape[0] // (size // 2 + 1)
    per_group = channels // groups
    exact = size - kernel + 1  # outputs per segment
    segments = -(-frames // exact)
    total = (segments - 1) * exact + size
    padded = hidden.new_empty(batch, total, channels)
    padded[:, :padding].zero_()
    padded[:, padding + frames :].zero_()
    padded[:, padding : padding + frames] = hidden
    windows = padded.as_strided(
        (batch, segments, size, channels), (total * channels, exact * channels, channels, 1)
    )
    spectra = torch.fft.rfft(windows, dim=2)  # [batch, segments, freq, channels]
    frequencies = spectra.shape[2]
    rows = spectra.reshape(batch * segments, frequencies * groups, per_group).transpose(0, 1)
    products = torch.bmm(rows, spectrum)  # [freq * groups, batch * segments, out per group]
    products = products.view(frequencies, groups, batch * segments, per_group)
    products = products.permute(2, 0, 1, 3).reshape(batch, segments, frequencies, channels)
    out = torch.fft.irfft(products, n=size, dim=2)[:, :, :exact]
    out = out.reshape(batch, segments * exact, channels)[:, :frames]
    dead = _unreached(hidden, kernel, padding)
    if dead is not None:  # exactly zero there, as in the convolution (not FFT rounding noise)
        out = out.masked_fill(dead[..., None], 0.0)
    return out if bias is None else out + bias


def _unreached(hidden: torch.Tensor, kernel: int, padding: int) -> torch.Tensor | None:
    """`[batch, frames]`: outputs whose inputs are all zero (padded frames), or None if none.

    There the convolution gives exactly its bias, which a LayerNorm after it (Wav2Vec2) maps
    through `1 / sqrt(eps)`: FFT rounding noise would be amplified, so it is cleared.
    """
    live = hidden.ne(0).any(-1)
    if bool(live.all()):
        return None
    frames = live.shape[1]
    counts = torch.nn.functional.pad(live.cumsum(1), (1, 0))  # counts[:, j]: live in [0, j)
    first = torch.arange(frames, device=live.device) - padding  # first input each output sees
    start, stop = first.clamp(0, frames), (first + kernel).clamp(0, frames)
    return counts[:, stop] == counts[:, start]


__all__ = [
    "CROSSOVER",
    "MIN_KERNEL",
    "cached_spectrum",
    "segment_size",
    "spectral_conv",
    "worthwhile",
]
