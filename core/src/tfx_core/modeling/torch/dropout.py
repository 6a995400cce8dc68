"""Training dropout with a cheaper random draw on CPU.

ATen's CPU dropout draws its mask with `bernoulli_`, which costs about twice a uniform draw
and a compare. Here the mask is a uniform draw `>= p` (`keep_mask`: kept with probability
`1 - p`), turned in place into the float noise `mask / (1 - p)` (the same values ATen's noise takes), and the output
is `x * noise`: one autograd node whose backward is `grad * noise`, as ATen's. Measured with
torch 2.13, one thread, forward and backward: 40% less time for attention probabilities
`[16, 12, 64, 64]` and hidden states `[16, 64, 384]`.

Used for float32/float64 CPU tensors with `0 < p < 1` while fast paths are on; everything else
(eval, `p` of 0 or 1, in-place, other devices or dtypes, `TFX_FAST_PATHS=0`) is `F.dropout`.
The random stream differs from `F.dropout`'s, so the same seed draws a different mask.

`keep_mask` draws the 0/1 mask. ATen's CPU generator (mt19937) costs about as much per number
whatever its width, so from `WIDE_DRAW_ELEMENTS` float32 elements on the mask comes from 64-bit
integer draws, two 23-bit uniforms each (the mantissa of a float on [1, 2), compared with
`1 + p`): 13-34% less time for the whole mask at 262k-786k elements (one thread, quiet
machine; MiniLM's attention scores and hidden states), about 0.8% of its training step, under
the noise of a whole-step measurement. Below that the extra ops' fixed costs outweigh it and
`rand_like` draws. The uniforms have 23 random bits, so `p` is resolved to 2^-23.

The BERT-style encoder's hidden and embedding dropouts use it (MiniLM-L6 b16x64 training step:
2-4% less CPU time), and so does attention-probability dropout (`training_attention.py`: one
autograd Function for scores, softmax, this mask and the product).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import trusted_forward

_DTYPES = (torch.float32, torch.float64)
#: From this many float32 elements on, `keep_mask` draws 64-bit integers (see the module doc).
WIDE_DRAW_ELEMENTS = 65536


def keep_mask(x: torch.Tensor, p: float) -> torch.Tensor:
    """0/1 floats of `x`'s shape, dtype and device (CPU), each 1 with probability `1 - p`."""
    n = x.numel()
    if x.dtype != torch.float32 or n < WIDE_DRAW_ELEMENTS or torch.compiler.is_compiling():
        return torch.rand_like(x).ge_(p)  # (dynamo cannot trace `random_`; inductor fuses this)
    # each draw gives two 32-bit halves (the top bit of the high one is always 0); 23 random
    # mantissa bits under the exponent of 1.0 make a float32 uniform on [1, 2)
    halves = torch.empty((n + 1) // 2, dtype=torch.int64, device=x.device).random_()
    bits = halves.view(torch.int32)[:n]
    uniform = bits.bitwise_and_(0x007FFFFF).bitwise_or_(0x3F800000).view(torch.float32)
    return uniform.ge_(1.0 + p).view(x.shape)


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
    noise = keep_mask(x, p).div_(1.0 - p)
    return x * noise


@trusted_forward
class Dropout(nn.Dropout):
    """`nn.Dropout` (same arguments, repr and state) running `dropout` above."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return dropout(input, self.p, self.training, self.inplace)
