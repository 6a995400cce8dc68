"""CPU linear products on oneDNN's matmul primitive: the one module of tfx that calls it.

PyTorch ships oneDNN and reaches its matmul through `torch.ops.mkldnn._linear_pointwise` (the
op its compiler emits for frozen CPU graphs); `torch.ops.mkldnn._reorder_linear_weight` lays a
weight out in the primitive's own blocked format. Three uses, each measured on the 2-core
AVX-512 (BF16, no AMX) machine the benchmarks run on, inference only:

- `dense(x, weight, bias)`: float32 products with hundreds of rows or more (image patches, audio
  frames) on the primitive instead of the BLAS `addmm`: 12-15% faster on one thread, 25-35% on
  two, for ViT-base and Wav2Vec2-base shapes. Below `SMALL_ROWS` rows its fixed cost (~15 us)
  outweighs the gain, so those go to `linear`. `DenseLinear` is an `nn.Linear` using it. The
  weight is laid out once and kept (another 4-6%, for the weight's memory once more); the exact
  GELU or a residual add can run inside the product (post-ops: no extra pass over the result).
- `packed_linear(weight, bias)`: a float32 weight laid out once for a lean encoder plan that
  reuses it (the BLAS library repacks it on every call): a bert-base product over 16 tokens
  runs ~1.6x faster, over 1024 tokens ~1.2x. The plan binds the copy and rebuilds it when the
  source weight changes (see `blocks.lean_encoder`).
- `decode_linear(weight, bias)`: a bfloat16 weight laid out once for one-token decode plans.
  For bf16, `F.linear` itself runs this primitive but lays the weight out on every call, which
  at one row costs more than the product (2-3x); the laid-out copy gives bitwise the result of
  `F.linear`. Copies are cached per weight (`packed_weight`) and rebuilt when the weight's
  memory or in-place version (or that of the Parameters a fused weight came from) changes.
  Copies of 2 MiB or more move onto transparent huge pages (`huge_pages`, Linux 6.1+): a
  one-token step streams every weight once, and 4 KiB pages cost it a TLB miss per page.
  Measured on the LLM bench's shapes (one thread): these products read 17-20 GB/s where a
  float32 `sum` streams 25 GB/s; every row hint gives the same layout (`AB16b64a2b`), and
  `torch.mm(weight, x.T)`, the one other call found with the same bits, is ~2x slower.
  A float32 weight runs from `PACKED_ROWS` rows per step on (beams x documents) on `dense`'s
  cached laid-out copy: bart-base's projections over 32 rows ~1.35x faster, its 50265-word
  logits product ~2x (one thread); fewer rows keep `linear`.

Float32 results agree with `F.linear` to rounding (another summation order); bf16 ones are
bitwise equal. A laid-out copy costs the weight's memory once more while it is kept. Writes
through `weight.data` bypass PyTorch's version counter (as they bypass autograd) and are not
seen. Autograd, other devices and dtypes, autocast, tracing and `torch.compile` (graphs keep
the standard op) and `TFX_FAST_PATHS=0` keep the standard products.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import MIN_WEIGHT_ELEMENTS, SMALL_ROWS, linear
from tfx_core.modeling.torch.onednn_training import onednn_available

#: The row count float32 copies for lean encoder plans are laid out for (any count works).
ROWS_HINT = 16


# ----------------------------------------------------------------- the primitive
def _product(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """`x @ weight.T + bias` on the primitive (`weight` plain or laid out by `_layout`)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


def _layout(weight: torch.Tensor, rows_hint: int) -> torch.Tensor | None:
    """`weight` laid out for the primitive, as an ordinary tensor usable in any autograd mode;
    None when this PyTorch build cannot."""
    if not onednn_available():
        return None
    try:
        with torch.inference_mode(False), torch.no_grad():
            return torch.ops.mkldnn._reorder_linear_weight(weight.detach(), rows_hint)
    except (RuntimeError, NotImplementedError):
        return None


# ----------------------------------------------------------------- large float32 products
def uses_onednn(x: torch.Tensor, weight: torch.Tensor, small: bool = False) -> bool:
    """Whether `dense(x, weight)` runs on oneDNN (large float32 CPU product, no autograd;
    `small`: a weight below `MIN_WEIGHT_ELEMENTS` too)."""
    if (weight.numel() < MIN_WEIGHT_ELEMENTS and not small) or torch.is_grad_enabled():
        return False
    features = x.shape[-1]
    rows = x.numel() // features if features else 0
    return (
        rows > SMALL_ROWS
        and x.dtype == torch.float32 == weight.dtype
        and x.device.type == "cpu" == weight.device.type
        and weight.dim() == 2
        and not x.is_mkldnn
        and onednn_available()
        and fast_paths_enabled()
        and not (torch.jit.is_tracing() or torch.compiler.is_compiling())  # exportable graphs
    )


def dense(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    gelu: bool = False,
    residual: torch.Tensor | None = None,
    sources: Iterable[torch.Tensor] = (),
    small: bool = False,
) -> torch.Tensor:
    """`F.linear(x, weight, bias)`, on oneDNN when `uses_onednn` says so, else through `linear`.

    `gelu`: followed by the exact (erf) GELU; `residual`: plus `residual` (shaped like the
    result). On oneDNN both run inside the product (post-ops: no extra pass over the result).
    A 2-D `x` may have a row stride wider than its rows (a window view): no copy is made. The
    weight is laid out for oneDNN once and kept (`_dense_layout`; `sources`: the Parameters a
    fused `weight` was concatenated from, whose in-place writes invalidate the copy).
    `small`: on oneDNN for a small weight too (a narrow product whose result stays in cache,
    where the fused GELU saves a pass: the speech feature encoder's first layer).
    """
    if gelu and residual is not None:
        raise ValueError("dense applies either gelu or a residual, not both.")
    if not uses_onednn(x, weight, small):
        out = linear(x, weight, bias)
        if gelu:
            return F.gelu(out)
        return out if residual is None else out + residual
    flat = x.reshape(-1, x.shape[-1])
    if flat.stride(-1) != 1 or flat.stride(0) < flat.shape[1]:
        flat = flat.contiguous()
    out_features = weight.shape[0]
    weight = _dense_layout(weight.contiguous(), sources)
    if gelu:
        out = torch.ops.mkldnn._linear_pointwise(flat, weight, bias, "gelu", [], "none")
    elif residual is not None:
        other = residual.reshape(flat.shape[0], out_features).contiguous()
        out = torch.ops.mkldnn._linear_pointwise.binary(flat, other, weight, bias, "add")
    else:
        out = _product(flat, weight, bias)
    return out.view(*x.shape[:-1], out_features)


#: weight id -> (weakref to it, its data pointer and versions, laid-out copy) for `dense`
_DENSE_LAYOUTS: dict[int, tuple[weakref.ref, tuple, torch.Tensor | None]] = {}


def _dense_layout(weight: torch.Tensor, sources: Iterable[torch.Tensor]) -> torch.Tensor:
    """`weight` laid out for the primitive once (4-6% faster products than the plain layout),
    cached while `weight` keeps its memory and neither it nor `sources` (Parameters a fused
    weight was built from) is written in place; views (slices taken per call) stay plain."""
    if weight._base is not None or weight.is_inference():
        return weight
    stamp = (weight.data_ptr(), weight._version, *(t._version for t in sources))
    key = id(weight)
    entry = _DENSE_LAYOUTS.get(key)
    if entry is None or entry[0]() is not weight or entry[1] != stamp:
        entry = (weakref.ref(weight, partial(_forget_layout, key)), stamp, _layout(weight, 512))
        _DENSE_LAYOUTS[key] = entry
    return weight if entry[2] is None else entry[2]


def _forget_layout(key: int, _: weakref.ref) -> None:
    _DENSE_LAYOUTS.pop(key, None)


@trusted_forward
class DenseLinear(nn.Linear):
    """`nn.Linear` (same parameters and state dict keys) whose forward uses `dense`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dense(x, self.weight, self.bias)


# ----------------------------------------------------------------- float32 lean plans
def _packed_float(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, packed: torch.Tensor
) -> torch.Tensor:
    if x.dtype is not torch.float32 or torch.is_autocast_enabled("cpu"):
        return F.linear(x, weight, bias)  # what the module path would compute
    return _product(x, packed, bias)


def packed_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> Callable | None:
    """`x -> F.linear(x, weight, bias)` from a laid-out copy of the float32 CPU `weight`; None
    where that does not apply or its result on a probe would differ from `F.linear`'s."""
    if weight.dtype is not torch.float32 or weight.device.type != "cpu" or weight.dim() != 2:
        return None
    if bias is not None and (bias.dtype is not torch.float32 or bias.device.type != "cpu"):
        return None
    packed = _layout(weight, ROWS_HINT)
    if packed is None:
        return None
    with torch.inference_mode(False), torch.no_grad():
        probe = torch.linspace(-1.0, 1.0, 2 * weight.shape[1]).view(2, -1)
        if not torch.allclose(
            _product(probe, packed, bias), F.linear(probe, weight, bias), rtol=1e-4, atol=1e-5
        ):
            return None
    return partial(_packed_float, weight=weight, bias=bias, packed=packed)


def is_packed(product: Callable) -> bool:
    """Whether `product` came from `packed_linear` (its source weight is `.keywords["weight"]`)."""
    return getattr(product, "func", None) is _packed_float


# ----------------------------------------------------------------- bfloat16 decode plans
#: weight id -> (weakref to it, its data pointer and the versions of its sources, laid out copy)
_PACKED: dict[int, tuple[weakref.ref, tuple, torch.Tensor | None]] = {}


def packable(weight: torch.Tensor) -> bool:
    """Whether `decode_linear` lays `weight` out for oneDNN (a large CPU bf16 matrix)."""
    return (
        weight.dtype == torch.bfloat16
        and weight.device.type == "cpu"
        and weight.dim() == 2
        and weight.numel() >= MIN_WEIGHT_ELEMENTS
        and onednn_available()
        and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def packed_weight(
    weight: torch.Tensor, sources: Iterable[torch.Tensor] = ()
) -> torch.Tensor | None:
    """`weight` laid out for oneDNN's bf16 product (cached), or None where that does not apply.

    The cached copy is reused while `weight` keeps its memory and neither it nor `sources` (the
    Parameters a fused weight was concatenated from) has been written in place since.
    """
    if not packable(weight):
        return None
    stamp = (weight.data_ptr(), weight._version, *(t._version for t in sources))
    key = id(weight)
    entry = _PACKED.get(key)
    if entry is not None and entry[0]() is weight and entry[1] == stamp:
        return entry[2]
    packed = _layout(weight, 1)
    if packed is not None:
        huge_pages(packed)
    _PACKED[key] = (weakref.ref(weight, partial(_forget, key)), stamp, packed)
    return packed


def _forget(key: int, _: weakref.ref) -> None:
    _PACKED.pop(key, None)


#: The transparent huge page size of x86-64 and 4 KiB-page arm64 Linux kernels.
HUGE_PAGE = 2 << 20
_MADV_COLLAPSE = 25  # Linux 6.1+: back a range with huge pages now (a copy by the kernel)


@functools.cache
def _madvise() -> Callable[[int, int, int], int] | None:
    """libc's `madvise`, where the kernel may use transparent huge pages (else None)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as setting:
            if "[never]" in setting.read():
                return None
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    return madvise


def huge_pages(packed: torch.Tensor) -> bool:
    """Move a laid-out weight of 2 MiB or more onto transparent huge pages; whether it was.

    A one-token product streams its weight from memory once: on 4 KiB pages that misses the
    TLB every page (huge pages: ~5% off a bf16 decode step on the 2-core AVX-512 machine).
    The weight's range is rounded out to whole 2 MiB pages (memory the allocator placed next
    to it moves along, unchanged), else in. No value changes; kernels without
    `MADV_COLLAPSE` (Linux < 6.1) or with THP `never` keep 4 KiB pages. Costs a copy, once.
    """
    madvise = _madvise()
    if madvise is None:
        return False
    try:
        start, size = torch.ops.mkldnn.data_ptr(packed), torch.ops.mkldnn._nbytes(packed)
    except (AttributeError, RuntimeError):
        return False
    if size < HUGE_PAGE:
        return False
    end = start + size
    outer = (start // HUGE_PAGE * HUGE_PAGE, -(-end // HUGE_PAGE) * HUGE_PAGE)
    inner = (-(-start // HUGE_PAGE) * HUGE_PAGE, end // HUGE_PAGE * HUGE_PAGE)
    return any(
        last > first and madvise(first, last - first, _MADV_COLLAPSE) == 0
        for first, last in (outer, inner)
    )


#: Up to this many rows a half-precision product on the laid-out copy gives `F.linear`'s bits.
#: From 64 rows on, on an AVX-512 machine with AMX, oneDNN picks another kernel for the
#: laid-out copy than for `F.linear`'s own (12-350 differing outputs of a 64-128-row product
#: at the LLM bench's shapes), so a bf16 prompt (batch x length rows) takes `F.linear`.
HALF_PACKED_MAX_ROWS = 32


def _packed_half(
    x: torch.Tensor, packed: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """`F.linear(x, weight, bias)` through the laid-out copy `packed` (autograd off, same dtype,
    at most `HALF_PACKED_MAX_ROWS` rows)."""
    if (
        torch.is_grad_enabled()
        or x.dtype != weight.dtype
        or x.numel() > HALF_PACKED_MAX_ROWS * x.shape[-1]
    ):
        return linear(x, weight, bias)
    return _product(x, packed, bias)


def decode_linear(
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    sources: Iterable[torch.Tensor] = (),
) -> Callable[[torch.Tensor], torch.Tensor]:
    """`linear` with its tensors bound, for a one-token decode plan (built per `generate`,
    used without autograd): a CPU bf16 weight is bound laid out once; a float32 one runs
    from `PACKED_ROWS` rows on (beams, batches) on a laid-out copy (see module doc)."""
    if rows_packable(weight):
        return partial(_packed_rows, weight=weight, bias=bias, sources=tuple(sources))
    packed = packed_weight(weight, sources)
    if packed is None:
        if bias is not None and weight.dim() == 2 and weight.numel() < MIN_WEIGHT_ELEMENTS:
            return partial(_small_rows, weight=weight, transposed=weight.t(), bias=bias)
        return partial(linear, weight=weight, bias=bias)
    return partial(_packed_half, packed=packed, weight=weight, bias=bias)


def _small_rows(
    x: torch.Tensor, weight: torch.Tensor, transposed: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """`linear` of a small biased weight (which it leaves to `F.linear`): for `[rows, in]`
    inputs the `addmm` `F.linear` runs (bitwise its result), without its dispatch and
    transpose per call (a decode plan's `[batch, hidden]` rows)."""
    if x.dim() == 2:
        return torch.addmm(bias, x, transposed)
    return F.linear(x, weight, bias)


#: Rows (batch x beams) from which a float32 decode product runs on a laid-out copy: the BLAS
#: library repacks the weight on every call, which dominates a product over 8-64 rows (1.3-1.5x
#: for bart-base's projections at 32 rows, 2x for its 50265-word output matrix, one thread).
PACKED_ROWS = 8


#: Within `packed_from(rows)`: the row count from which `_packed_rows` uses the laid-out copy.
_PACKED_FROM: ContextVar[int | None] = ContextVar("packed_from", default=None)


@contextmanager
def packed_from(rows: int) -> Iterator[None]:
    """Float32 decode products (`decode_linear`, `rows_linear`) run on their laid-out copies
    from `rows` rows on while inside (a check of a few positions of one sequence: from 2 rows
    the copy beats the BLAS's per-call repacking for every LLM-bench shape, see
    `blocks.lean_decoder`)."""
    token = _PACKED_FROM.set(rows)
    try:
        yield
    finally:
        _PACKED_FROM.reset(token)


def rows_linear(
    weight: torch.Tensor, bias: torch.Tensor | None = None
) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """`x -> linear(x, weight, bias)` for a float32 CPU weight of any memory layout (an output
    matrix relaid out `[hidden, vocab]`), on its cached laid-out copy from `PACKED_ROWS` rows on
    (or `packed_from`'s); None where `rows_packable` does not hold, layout aside."""
    if not (rows_packable(weight) or (weight.dim() == 2 and rows_packable(weight.t()))):
        return None
    return partial(_packed_rows, weight=weight, bias=bias, sources=())


def rows_packable(weight: torch.Tensor) -> bool:
    """Whether `decode_linear` runs this float32 weight laid out for many rows (`PACKED_ROWS`)."""
    return (
        weight.dtype is torch.float32
        and weight.device.type == "cpu"
        and weight.dim() == 2
        and weight.is_contiguous()
        and weight.numel() >= MIN_WEIGHT_ELEMENTS
        and onednn_available()
    )


def _packed_rows(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    sources: tuple[torch.Tensor, ...],
) -> torch.Tensor:
    """`linear(x, weight, bias)`; from `PACKED_ROWS` rows on through `weight`'s laid-out copy
    (cached while the weight and `sources` are unchanged, `_dense_layout`)."""
    features = x.shape[-1]
    rows = x.numel() // features if features else 0
    if (
        rows < (_PACKED_FROM.get() or PACKED_ROWS)
        or x.dtype is not torch.float32
        or torch.is_grad_enabled()
        or torch.is_autocast_enabled("cpu")
        or not fast_paths_enabled()
    ):
        return linear(x, weight, bias)
    flat = x.reshape(rows, features)
    if flat.stride(-1) != 1 or flat.stride(0) != features:
        flat = flat.contiguous()
    out = _product(flat, _dense_layout(weight, sources), bias)
    return out.view(*x.shape[:-1], weight.shape[0])


__all__ = [
    "HUGE_PAGE",
    "PACKED_ROWS",
    "ROWS_HINT",
    "DenseLinear",
    "decode_linear",
    "dense",
    "huge_pages",
    "is_packed",
    "onednn_available",
    "packable",
    "packed_from",
    "packed_linear",
    "packed_weight",
    "rows_linear",
    "rows_packable",
    "uses_onednn",
]


def drop_moved_layouts() -> None:
    """Forget laid-out copies whose source weight has since moved (`.to()` another device or
    dtype rebinds a Parameter's memory), so no stale CPU copy outlives the move."""
    for cache in (_DENSE_LAYOUTS, _PACKED):
        for key, (ref, stamp, _) in list(cache.items()):
            weight = ref()
            if weight is None or weight.device.type != "cpu" or weight.data_ptr() != stamp[0]:
                cache.pop(key, None)
