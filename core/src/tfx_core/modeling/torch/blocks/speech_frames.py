"""The speech feature encoder's convolutions as matrix products over time-major frames.

Wav2Vec2's feature encoder runs seven 1-D convolutions over the waveform (the first over every
sample, 512 channels out), each followed by an activation and, on the first layer (or all), a
norm. At inference on CPU this module computes the same layers as oneDNN products over
`[frames, channels]` tensors instead of channel-major convolutions:

- a window of `kernel` frames at stride `stride` is `ceil(kernel / stride)` products over views
  of the input (rows of `stride * channels` contiguous values; no im2col copy), added inside the
  products (oneDNN's residual post-op); a narrow input (the waveform) is copied into its windows;
- the exact GELU runs inside the last product;
- the first layer's GroupNorm (one group per channel) is folded into its weights: a channel's
  mean and variance over time are linear and quadratic forms of the windows' mean and covariance
  (computed in float64 from the centred windows), so one product gives the normalised output;
- frames stay time-major to the end, which is the layout the feature projection reads.

Results agree with the convolutions to float rounding. `feature_frames` returns None where this
does not apply (the caller then runs the modules).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.onednn import dense, onednn_available

#: Windows of at most this many values (kernel x input channels) are copied out (the waveform).
COPY_WINDOW = 64


def _tap_major(conv: nn.Conv1d) -> torch.Tensor:
    """The `[out, in, kernel]` weight as `[out, kernel * in]` (a window's frames one after
    another), cached on the module until the weight changes."""
    weight = conv.weight
    stamp = (weight.data_ptr(), weight._version)
    cached = conv.__dict__.get("_tfx_tap_major")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with torch.inference_mode(False), torch.no_grad():
        flat = weight.detach().permute(0, 2, 1).reshape(weight.shape[0], -1).contiguous()
    conv.__dict__["_tfx_tap_major"] = (stamp, flat)
    return flat


def _windows(frames: torch.Tensor, width: int, stride: int, count: int, start: int = 0):
    """`[count, width * channels]` rows: `width` frames of `frames [time, channels]` from frame
    `start + i * stride` (a view: rows overlap when `width > stride`)."""
    channels = frames.shape[1]
    return frames.as_strided(
        (count, width * channels),
        (stride * channels, 1),
        frames.storage_offset() + start * channels,
    )


def _folded_group_norm(
    windows: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, norm: nn.GroupNorm
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """`(centred windows, weight, bias)` whose product is `norm(windows @ weight.T + bias)`."""
    mean = windows.mean(0, dtype=torch.float64)
    centred = windows - mean.to(windows.dtype)
    wide = centred.double()
    residual_mean = wide.mean(0)
    covariance = wide.T @ wide / wide.shape[0] - torch.outer(residual_mean, residual_mean)
    weight64 = weight.double()
    variance = ((weight64 @ covariance) * weight64).sum(-1)
    scale = norm.weight.double() / torch.sqrt(variance + norm.eps)
    shift = norm.bias.double() - (weight64 @ residual_mean) * scale
    del bias  # a constant per channel: the norm removes it
    return centred, (weight64 * scale[:, None]).float(), shift.float()


def _layer(layer: Any, frames: torch.Tensor) -> torch.Tensor:
    """One conv layer of `frames [time, channels]` (one clip) -> `[time', out channels]`."""
    conv = layer.conv
    kernel, stride = conv.kernel_size[0], conv.stride[0]
    count = (frames.shape[0] - kernel) // stride + 1
    weight, bias = _tap_major(conv), conv.bias
    channels = frames.shape[1]
    kind = layer.norm_kind
    activation = getattr(layer.activation, "fn", None)
    fuse = False
    if kernel * channels <= COPY_WINDOW or kernel <= stride:
        windows = _windows(frames, kernel, stride, count)
        if kernel * channels <= COPY_WINDOW:
            windows = windows.contiguous()
        if kind == "group":
            windows, weight, bias = _folded_group_norm(windows, weight, bias, layer.layer_norm)
            kind = None
        fuse = activation is F.gelu and kind is None
        out = dense(windows, weight, bias, gelu=fuse)
    else:  # ceil(kernel / stride) products over frame-aligned views, added in the products
        out = None
        for first in reversed(range(0, kernel, stride)):
            width = min(stride, kernel - first)
            part = weight[:, first * channels : (first + width) * channels]
            rows = _windows(frames, width, stride, count, first)
            out = dense(rows, part, bias if first == 0 else None, residual=out)
    if kind == "group":
        variance, mean = torch.var_mean(out, dim=0, correction=0)
        norm = layer.layer_norm
        scale = norm.weight / torch.sqrt(variance + norm.eps)
        out = out.mul_(scale).add_(norm.bias - mean * scale)
    elif kind == "layer":
        norm = layer.layer_norm
        out = F.layer_norm(out, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
    return out if fuse else layer.activation(out)


def applies(layers: nn.ModuleList, input_values: torch.Tensor) -> bool:
    """Whether `feature_frames` computes these layers (float32 CPU, plain convolutions)."""
    if input_values.dtype != torch.float32 or input_values.device.type != "cpu":
        return False
    if not onednn_available():
        return False
    for layer in layers:
        conv = layer.conv
        if (
            conv.weight.dtype != torch.float32
            or conv.padding != (0,)
            or conv.dilation != (1,)
            or conv.groups != 1
            or conv.padding_mode != "zeros"
        ):
            return False
    return True


def feature_frames(layers: nn.ModuleList, input_values: torch.Tensor) -> torch.Tensor:
    """`input_values [batch, samples]` through `layers` -> `[batch, frames, channels]`."""
    clips = []
    for clip in input_values:
        frames = clip[:, None]
        for layer in layers:
            frames = _layer(layer, frames)
        clips.append(frames)
    return clips[0][None] if len(clips) == 1 else torch.stack(clips)


__all__ = ["COPY_WINDOW", "applies", "feature_frames"]
