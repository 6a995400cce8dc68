"""GPT-2's `Conv1D` (a linear layer stored `[in, out]`) and the split-K product for decoding.

Decoding one token multiplies a few activation rows by every weight matrix, so on CPU a step
costs the time to stream the weights from memory, and one BLAS matrix-vector product uses
about one core's share of the bandwidth. `split_k_matmul` views a row-major `[in, out]` weight
(no copy) as `[parts, in / parts, out]` and runs one batched product, so each thread streams its
own contiguous slice; the partial sums are then added. It is used for a few rows without
autograd, on CPU, for weights large enough to be bandwidth-bound; everything else takes the
reference's `addmm`. Results agree with it to float rounding.

`decode_product(weight_in_out, bias)` returns that choice bound to its tensors, for lean plans:
the same function `Conv1D.forward` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from tfx_core.modeling.torch.lean import trusted_forward

#: Rows (batch x new tokens) up to which the split-K product is used.
SPLIT_MAX_ROWS = 16
#: Weights smaller than this (elements) stay with addmm: they fit in cache, overhead dominates.
SPLIT_MIN_ELEMENTS = 1 << 19

Product = Callable[[torch.Tensor], torch.Tensor]


def split_parts(weight: torch.Tensor) -> int:
    """How many slices a split-K product of this `[in, out]` weight uses now (0: not worth it)."""
    if weight.device.type != "cpu" or weight.numel() < SPLIT_MIN_ELEMENTS:
        return 0
    parts = torch.get_num_threads()
    if parts < 2 or weight.shape[0] % parts or not weight.is_contiguous():
        return 0
    return parts


def split_k_matmul(x: torch.Tensor, weight: torch.Tensor, parts: int) -> torch.Tensor:
    """`x [rows, in] @ weight [in, out]` with `in` cut into `parts` contiguous slices."""
    rows, inner = x.shape
    chunks = x.reshape(rows, parts, inner // parts).transpose(0, 1)
    partials = torch.bmm(chunks, weight.view(parts, inner // parts, -1))
    out = partials[0]
    for index in range(1, parts):  # in place: cheaper than a reduction kernel over dim 0
        out = out.add_(partials[index])
    return out


def _product(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, parts: int = 0
) -> torch.Tensor:
    """`x @ weight (+ bias)` over the last dimension; split-K (`parts` > 1) for a few rows."""
    rows = x if x.dim() == 2 else x.reshape(-1, x.shape[-1])
    if parts and rows.shape[0] <= SPLIT_MAX_ROWS and not torch.is_grad_enabled():
        out = split_k_matmul(rows, weight, parts)
        if bias is not None:
            out = out.add_(bias)
    else:
        out = torch.mm(rows, weight) if bias is None else torch.addmm(bias, rows, weight)
    return out if x.dim() == 2 else out.view(*x.shape[:-1], weight.shape[1])


def in_out_product(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """`x @ weight + bias` for an `[in, out]` weight; split-K for a few rows (see module doc)."""
    return _product(x, weight, bias, split_parts(weight))


def decode_product(weight: torch.Tensor, bias: torch.Tensor | None = None) -> Product:
    """`in_out_product` with its tensors and the current thread count bound (for lean plans)."""
    return partial(_product, weight=weight, bias=bias, parts=split_parts(weight))


@trusted_forward
class Conv1D(nn.Module):
    """A linear layer whose weight is stored `[in_features, out_features]` (GPT-2's layout).

    Same parameters and checkpoint keys (`weight`, `bias`) as the reference's `Conv1D`.
    """

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return in_out_product(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"nf={self.nf}, nx={self.weight.shape[0]}"


def output_layout_product(weight: torch.Tensor, bias: torch.Tensor | None = None) -> Product:
    """Logits through a `[vocab, hidden]` output matrix (and `bias`: GPT-J, CTRL), split-K over
    its transposed layout.

    With `relayout_for_decoding` applied, `weight.t()` is a contiguous `[hidden, vocab]` view:
    the split-K product streams it row by row. Otherwise this is `F.linear`.
    """
    transposed = weight.t()
    parts = split_parts(transposed)
    if parts:
        return partial(_product, weight=transposed, bias=bias, parts=parts)
    return partial(torch.nn.functional.linear, weight=weight, bias=bias)


def relayout_for_decoding(weight: nn.Parameter) -> None:
    """Store a large `[out, in]` CPU weight as `[in, out]` in memory (same Parameter, same shape).

    The Parameter keeps its shape, name and identity (tying, optimisers, checkpoints are
    unaffected); only its memory layout changes, so `output_layout_product` can split it.
    """
    threads = torch.get_num_threads()
    if (
        weight.device.type != "cpu"
        or weight.numel() < SPLIT_MIN_ELEMENTS
        or threads < 2
        or weight.shape[1] % threads
        or weight.t().is_contiguous()
    ):
        return
    with torch.inference_mode(False), torch.no_grad():  # an ordinary tensor, still trainable
        weight.data = weight.data.t().contiguous().t()
