"""bf16 decode weights laid out for oneDNN are moved onto transparent huge pages (Linux 6.1+),
with their products unchanged."""

import platform

import pytest
import torch
import torch.nn.functional as F

from tfx_core.modeling.torch import onednn
from tfx_core.modeling.torch.onednn import HUGE_PAGE, huge_pages, packable, packed_weight

needs_bf16 = pytest.mark.skipif(
    not (onednn.onednn_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()),
    reason="no oneDNN bf16 products here",
)


def _huge_bytes(start: int, end: int) -> int:
    """AnonHugePages (bytes) of the mappings overlapping `[start, end)`."""
    total, overlaps = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                low, high = (int(part, 16) for part in head.split("-"))
                overlaps = low < end and start < high
            elif overlaps and head == "AnonHugePages:":
                total += int(line.split()[1]) * 1024
    return total


def _collapse_supported() -> bool:
    if onednn._madvise() is None:
        return False
    major, minor = (int(part) for part in platform.release().split(".")[:2])
    return (major, minor) >= (6, 1)


@needs_bf16
def test_packed_products_are_unchanged_and_small_weights_stay():
    generator = torch.Generator().manual_seed(0)
    weight = (torch.randn(2048, 1024, generator=generator) * 0.02).to(torch.bfloat16)  # 4 MiB
    assert packable(weight)
    packed = packed_weight(weight)
    assert packed is not None
    x = torch.randn(3, 1024, generator=generator).to(torch.bfloat16)
    with torch.no_grad():
        out = torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], "")
        assert torch.equal(out, F.linear(x, weight))
        huge_pages(packed)  # again: already on huge pages, or not possible here
        assert torch.equal(torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], ""), out)
    small = torch.ops.mkldnn._reorder_linear_weight(torch.randn(256, 1024).to(torch.bfloat16), 1)
    assert not huge_pages(small)  # under one huge page: left as it is


@needs_bf16
@pytest.mark.skipif(not _collapse_supported(), reason="no MADV_COLLAPSE (Linux 6.1+ with THP)")
def test_large_laid_out_weights_move_onto_huge_pages():
    weight = torch.randn(5120, 4096).to(torch.bfloat16)  # 40 MiB: a mapping of its own
    packed = onednn._layout(weight, 1)
    start = torch.ops.mkldnn.data_ptr(packed)
    size = torch.ops.mkldnn._nbytes(packed)
    before = _huge_bytes(start, start + size)
    if before >= size - 2 * HUGE_PAGE:
        pytest.skip("the allocator already hands out huge pages (THP_MEM_ALLOC_ENABLE)")
    assert huge_pages(packed)
    assert _huge_bytes(start, start + size) - before >= size - 2 * HUGE_PAGE
