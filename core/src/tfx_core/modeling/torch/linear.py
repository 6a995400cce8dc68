"""Linear layers that stay fast when only a few rows go through them on CPU.

`F.linear(x, W, b)` computes `x @ W.T`. With few rows (a short sentence, one decoding step)
some BLAS builds spend their time repacking the large weight matrix for a product that has
little arithmetic to amortise it, reaching about half the speed that the same weights allow
as the left operand: `(W @ x.T).T`, which streams `W` in its stored row-major order (the
weight's rows cut into blocks multiplied as one batched product, see `_row_blocks`). Whether
that pays depends on the machine: on a 2-core AVX2 machine 16 rows ran 1.2-1.5x faster this
way; on a 2-core AVX-512 machine with MKL the library's own skinny product was 2-5x faster at
1-4 rows and 1.1-1.4x slower from 8 to 32. So each (row count rounded up to a power of two,
weight shape, bias, threads) is measured once per process on the call's own input
(`_weight_major_pays`: the weight-major form is kept only when clearly faster) and the choice
is cached. Results agree with `F.linear` to float rounding (the bias is added in the same
product).

Used only without autograd (inference), for float32 CPU tensors and weights large enough for
the difference to matter, and not while `torch.compile` traces (its compiler picks its own
products). Under autograd, products of a training batch's size run on oneDNN
(`onednn_training.training_linear`); everything else goes to `F.linear`.

Large products and weights laid out once for oneDNN are in `onednn`.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.onednn_training import training_linear

#: Up to this many rows (tokens), the weight-major product is used.
SMALL_ROWS = 128
#: Weights smaller than this many elements stay with `F.linear` (they sit in cache anyway).
MIN_WEIGHT_ELEMENTS = 1 << 16


def linear(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    contiguous: bool = True,
) -> torch.Tensor:
    """`F.linear(x, weight, bias)`, computed weight-major for a few rows on CPU where that
    was measured faster (`_weight_major_pays`).

    With `contiguous=False` a weight-major result is returned as the transposed view of the
    `[out, rows]` product, skipping a transposing copy: right when the next op is elementwise
    or another `linear` (which then reads it as the contiguous `[in, rows]` it wants).
    Under autograd, large float32 CPU products run on oneDNN (`training_linear`).
    """
    if weight.numel() < MIN_WEIGHT_ELEMENTS:  # cheapest tests first
        return F.linear(x, weight, bias)
    if torch.is_grad_enabled():
        return training_linear(x, weight, bias)
    features = x.shape[-1]
    rows = x.numel() // features if features else 0
    if (
        rows > SMALL_ROWS
        or rows == 0
        or x.device.type != "cpu"
        or x.dtype != torch.float32
        or torch.compiler.is_compiling()
        or not _weight_major_pays(x, rows, weight, bias)
    ):
        return F.linear(x, weight, bias)
    return _weight_major(x, rows, weight, bias, contiguous)


#: Measured once per process: (rows rounded up to a power of two, weight shape, contiguous
#: weight, bias, threads) -> whether the weight-major product was clearly the faster.
_WEIGHT_MAJOR_FASTER: dict[tuple, bool] = {}
#: The weight-major product is chosen only when it took at most this fraction of `F.linear`'s
#: time (near-equal cases keep `F.linear`, so a choice does not flip between runs on noise).
WEIGHT_MAJOR_MARGIN = 0.85
_PROBE_RUNS = 3


def _weight_major_pays(
    x: torch.Tensor, rows: int, weight: torch.Tensor, bias: torch.Tensor | None
) -> bool:
    """Whether `(W @ x.T).T` beats `F.linear` for this shape here (measured on first use)."""
    key = (
        1 << (rows - 1).bit_length(),
        tuple(weight.shape),
        weight.is_contiguous(),
        bias is not None,
        torch.get_num_threads(),
    )
    known = _WEIGHT_MAJOR_FASTER.get(key)
    if known is None:
        known = _WEIGHT_MAJOR_FASTER[key] = _measure_weight_major(x, rows, weight, bias)
    return known


def _measure_weight_major(
    x: torch.Tensor, rows: int, weight: torch.Tensor, bias: torch.Tensor | None
) -> bool:
    """Time both products on the call's own input (best of `_PROBE_RUNS`, interleaved; no
    random numbers drawn, nothing kept)."""
    best = [float("inf"), float("inf")]
    for _ in range(_PROBE_RUNS):
        start = time.perf_counter()
        F.linear(x, weight, bias)
        middle = time.perf_counter()
        _weight_major(x, rows, weight, bias, True)
        end = time.perf_counter()
        best = [min(best[0], middle - start), min(best[1], end - middle)]
    return best[1] <= WEIGHT_MAJOR_MARGIN * best[0]


def _weight_major(
    x: torch.Tensor,
    rows: int,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    contiguous: bool,
) -> torch.Tensor:
    """`F.linear(x, weight, bias)` as `(weight @ x.T).T` over `rows` rows."""
    features = x.shape[-1]
    flat = x.reshape(rows, features).t()
    out_features = weight.shape[0]
    blocks = _row_blocks(out_features)
    if blocks > 1 and weight.is_contiguous():
        blocked = weight.view(blocks, out_features // blocks, features)
        flat = flat.expand(blocks, features, rows)
        if bias is None:
            out = torch.bmm(blocked, flat)
        else:
            out = torch.baddbmm(bias.view(blocks, -1, 1), blocked, flat)
        out = out.view(out_features, rows)
    elif bias is None:
        out = torch.mm(weight, flat)
    else:
        out = torch.addmm(bias[:, None], weight, flat)
    out = out.t().contiguous() if contiguous else out.t()
    return out.view(*x.shape[:-1], weight.shape[0])


def _row_blocks(out_features: int) -> int:
    """How many row blocks of the weight go into one batched product: two per thread.

    The batched product hands whole blocks to threads, each running a single-threaded GEMM
    on its own slice of the weight, which beats the library's threaded split of one skinny
    product (about 8% on a bert-base forward over 16 tokens here, and also on one thread).
    """
    threads = torch.get_num_threads()
    for blocks in (2 * threads, threads, 2):
        if out_features % blocks == 0:
            return blocks
    return 1


@trusted_forward
class Linear(nn.Linear):
    """`nn.Linear` (same parameters, same state dict keys) whose forward uses `linear`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)
