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
- the first layers, whose outputs are the largest (10 s of audio: 32 000 x 512 floats after the
  first), run block by block (`_streamed`): a block's rows go from layer to layer while they
  are in cache, instead of whole outputs making round trips through memory (and fresh pages
  faulted in on every call);
- frames stay time-major to the end, which is the layout the feature projection reads.

Results agree with the convolutions to float rounding. `applies` says where this is used (the
caller runs the modules elsewhere).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.onednn import dense, onednn_available

#: Windows of at most this many values (kernel x input channels) are copied out (the waveform).
COPY_WINDOW = 64
#: Layers after the first are streamed with it while their outputs have this many rows or more
#: (10 s of audio: the first three layers, 32 000 / 16 000 / 8 000 rows).
STREAM_MIN_ROWS = 4096
#: First-layer rows per streamed block, at least (16 MB of 512 channels, within the L3 cache).
#: On one thread blocks of 1024 to 8192 rows run alike (the feature encoder ~0.83x unblocked);
#: fewer, larger blocks mean fewer parallel regions, which two threads on a busy machine favour.
BLOCK_ROWS = 8192


def _tap_major(conv: nn.Conv1d) -> tuple[torch.Tensor, ...]:
    """The `[out, in, kernel]` weight as `[out, kernel * in]` (a window's frames one after
    another), cut into column blocks of `stride` frames (each contiguous, so `dense` keeps it
    laid out), cached on the module until the weight changes."""
    weight = conv.weight
    stamp = (weight.data_ptr(), weight._version)
    cached = conv.__dict__.get("_tfx_tap_parts")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with torch.inference_mode(False), torch.no_grad():
        flat = weight.detach().permute(0, 2, 1).reshape(weight.shape[0], -1)
        step = conv.stride[0] * weight.shape[1]
        parts = (flat.contiguous(), *(part.contiguous() for part in flat.split(step, dim=1)))
    conv.__dict__["_tfx_tap_parts"] = (stamp, parts)
    return parts


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
    if _copies(layer, frames):
        return _copied_layer(layer, *_copied_windows(layer, frames))
    conv = layer.conv
    kernel, stride = conv.kernel_size[0], conv.stride[0]
    count = (frames.shape[0] - kernel) // stride + 1
    weights = _tap_major(conv)
    if kernel <= stride:  # windows do not overlap: one product over a view
        fuse = getattr(layer.activation, "fn", None) is F.gelu and layer.norm_kind is None
        out = dense(_windows(frames, kernel, stride, count), weights[0], conv.bias, gelu=fuse)
        return _norm_activation(layer, out, layer.norm_kind, fuse)
    out = None  # ceil(kernel / stride) products over frame-aligned views, added in the products
    for index in reversed(range(len(weights) - 1)):
        first = index * stride
        rows = _windows(frames, min(stride, kernel - first), stride, count, first)
        out = dense(rows, weights[index + 1], conv.bias if first == 0 else None, residual=out)
    return _norm_activation(layer, out, layer.norm_kind, False)


def _copies(layer: Any, frames: torch.Tensor) -> bool:
    """Whether the layer's windows are narrow enough to be copied out (the waveform)."""
    return layer.conv.kernel_size[0] * frames.shape[1] <= COPY_WINDOW


def _copied_windows(layer: Any, frames: torch.Tensor) -> tuple:
    """`(windows, weight, bias, norm kind left)` of a layer with copied windows; a GroupNorm
    is folded into the weight and bias (statistics over the whole clip)."""
    conv = layer.conv
    kernel, stride = conv.kernel_size[0], conv.stride[0]
    count = (frames.shape[0] - kernel) // stride + 1
    windows = _windows(frames, kernel, stride, count).contiguous()
    weight, bias, kind = _tap_major(conv)[0], conv.bias, layer.norm_kind
    if kind == "group":
        windows, weight, bias = _folded_group_norm(windows, weight, bias, layer.layer_norm)
        kind = None
    return windows, weight, bias, kind


def _copied_layer(
    layer: Any, windows: torch.Tensor, weight: torch.Tensor, bias: Any, kind: str | None
) -> torch.Tensor:
    """The output rows of `windows` (from `_copied_windows`, or rows of them)."""
    fuse = getattr(layer.activation, "fn", None) is F.gelu and kind is None
    out = dense(windows, weight, bias, gelu=fuse, small=True)
    return _norm_activation(layer, out, kind, fuse)


def _norm_activation(layer: Any, out: torch.Tensor, kind: str | None, fused: bool):
    """The layer's norm over channels ("layer") or over time ("group"), then its activation
    (unless `fused` into the product)."""
    if kind == "group":
        variance, mean = torch.var_mean(out, dim=0, correction=0)
        norm = layer.layer_norm
        scale = norm.weight / torch.sqrt(variance + norm.eps)
        out = out.mul_(scale).add_(norm.bias - mean * scale)
    elif kind == "layer":
        norm = layer.layer_norm
        out = F.layer_norm(out, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
    return out if fused else layer.activation(out)


def _streamed(layers: nn.ModuleList, frames: torch.Tensor) -> tuple[torch.Tensor, int]:
    """The first layers of one clip (the widest outputs) block by block, each block's rows
    staying in cache from one layer to the next -> `(frames, layers done)`.

    The first layer (copied windows) runs on the rows each block needs; the next layers (no
    GroupNorm: its statistics span the clip) run as `_layer` on the block. Adjacent blocks
    share `kernel - stride` input frames per layer, computed twice (under 1%).
    """
    windows, weight, bias, kind = _copied_windows(layers[0], frames)
    rows = windows.shape[0]
    depth, span = 1, 1  # layers streamed; layer-0 rows per output row of the last one
    for layer in layers[1:]:
        rows = (rows - layer.conv.kernel_size[0]) // layer.conv.stride[0] + 1
        if layer.norm_kind == "group" or rows < STREAM_MIN_ROWS:
            break
        depth, span = depth + 1, span * layer.conv.stride[0]
    if depth == 1:
        return _copied_layer(layers[0], windows, weight, bias, kind), 1
    count = _rows_after(layers[:depth], windows.shape[0])
    parts = max(1, count * span // BLOCK_ROWS)  # blocks of BLOCK_ROWS to twice that
    blocks = []
    for part in range(parts):
        first, stop = count * part // parts, count * (part + 1) // parts  # of the last layer
        for layer in reversed(layers[1:depth]):  # -> the layer-0 rows they need
            kernel, stride = layer.conv.kernel_size[0], layer.conv.stride[0]
            first, stop = first * stride, (stop - 1) * stride + kernel
        block = _copied_layer(layers[0], windows[first:stop], weight, bias, kind)
        for layer in layers[1:depth]:
            block = _layer(layer, block)
        blocks.append(block)
    return torch.cat(blocks) if len(blocks) > 1 else blocks[0], depth


def _rows_after(layers: Any, rows: int) -> int:
    """Output rows of `layers[1:]` from `rows` output rows of `layers[0]`."""
    for layer in layers[1:]:
        rows = (rows - layer.conv.kernel_size[0]) // layer.conv.stride[0] + 1
    return rows


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
        frames, done = clip[:, None], 0
        if _copies(layers[0], frames):
            frames, done = _streamed(layers, frames)
        for layer in layers[done:]:
            frames = _layer(layer, frames)
        clips.append(frames)
    return clips[0][None] if len(clips) == 1 else torch.stack(clips)


__all__ = ["COPY_WINDOW", "applies", "feature_frames"]
