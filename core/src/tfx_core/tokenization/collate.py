"""Collate `tokenizers.Encoding` rows into padded lists or numpy arrays.

Padding here, not in the Rust pipeline, is the main speed-up over the reference: Rust padding
allocates a pad token string per position and the reference then copies every padded row into
Python lists. tfx pulls only the unpadded ids out of each encoding and pads with numpy (or with
cheap list arithmetic for list outputs). The rules (target length, `pad_to_multiple_of`, side,
pad values) are those of `tokenizers`' own padding, so results are identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from tfx_core.errors import TokenizerError


@dataclass(frozen=True)
class Fields:
    """Which outputs a call asked for (input_ids always)."""

    token_type_ids: bool
    attention_mask: bool
    special_tokens_mask: bool
    offset_mapping: bool
    length: bool


@dataclass(frozen=True)
class PadSpec:
    """How rows are padded: strategy "longest" / "max_length" / "do_not_pad" and pad values."""

    strategy: str
    max_length: int | None
    multiple: int | None
    side: str
    pad_id: int
    pad_type_id: int
    pad_token: str

    def target(self, longest: int) -> int | None:
        """The padded row length for a batch whose longest row is `longest` (None: no padding)."""
        if self.strategy == "do_not_pad":
            return None
        length = longest if self.strategy == "longest" else int(self.max_length or 0)
        if self.multiple and length % self.multiple:
            length += self.multiple - length % self.multiple
        return length


NO_PADDING = PadSpec("do_not_pad", None, None, "right", 0, 0, "")


def _pad_rows(rows: list[list], target: int, value: Any, left: bool) -> list[list]:
    if left:
        return [[value] * (target - len(row)) + row if len(row) < target else row for row in rows]
    return [row + [value] * (target - len(row)) if len(row) < target else row for row in rows]


def collate_lists(
    encodings: list, fields: Fields, pad: PadSpec
) -> tuple[dict[str, list], int | None, int]:
    """Padded Python lists (what the reference returns without return_tensors).

    Returns the data, the padded length (None: not padded) and the longest unpadded row.
    """
    ids = [e.ids for e in encodings]
    lengths = [len(row) for row in ids]
    longest = max(lengths, default=0)
    target = pad.target(longest)
    left = pad.side == "left"
    out: dict[str, list] = {}
    padded = target is not None and any(n < target for n in lengths)
    out["input_ids"] = _pad_rows(ids, target, pad.pad_id, left) if padded else ids
    if fields.token_type_ids:
        rows = [e.type_ids for e in encodings]
        out["token_type_ids"] = _pad_rows(rows, target, pad.pad_type_id, left) if padded else rows
    if fields.attention_mask:
        if padded:
            if left:
                out["attention_mask"] = [[0] * (target - n) + [1] * n for n in lengths]
            else:
                out["attention_mask"] = [[1] * n + [0] * (target - n) for n in lengths]
        else:
            out["attention_mask"] = [[1] * n for n in lengths]
    if fields.special_tokens_mask:
        rows = [e.special_tokens_mask for e in encodings]
        out["special_tokens_mask"] = _pad_rows(rows, target, 1, left) if padded else rows
    if fields.offset_mapping:
        rows = [e.offsets for e in encodings]
        out["offset_mapping"] = _pad_rows(rows, target, (0, 0), left) if padded else rows
    if fields.length:
        out["length"] = [max(n, target) for n in lengths] if target is not None else lengths
    return out, target, longest


def _scatter(
    rows: list[list], mask: np.ndarray, total: int, fill: int, width: int = 0
) -> np.ndarray:
    """Place variable-length rows into a (batch, length[, width]) array at `mask`."""
    if width:
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(rows)), np.int64, total * width)
        out = np.zeros((*mask.shape, width), dtype=np.int64)
        out[mask] = flat.reshape(total, width)
        return out
    flat = np.fromiter(chain.from_iterable(rows), np.int64, total)
    if fill == 0:
        out = np.zeros(mask.shape, dtype=np.int64)
    else:
        out = np.full(mask.shape, fill, dtype=np.int64)
    out[mask] = flat
    return out


def collate_arrays(
    encodings: list, fields: Fields, pad: PadSpec
) -> tuple[dict[str, np.ndarray], int | None, int]:
    """Padded int64 numpy arrays, built from the unpadded ids without intermediate lists."""
    ids = [e.ids for e in encodings]
    lengths = np.fromiter(map(len, ids), np.int64, len(ids))
    longest = int(lengths.max()) if len(ids) else 0
    target = pad.target(longest)
    width = longest if target is None else target
    if target is None and len(ids) and int(lengths.min()) != longest:
        raise TokenizerError(
            "Cannot build a tensor: the encoded rows have different lengths "
            f"({int(lengths.min())} to {longest} tokens). Pass padding=True (and "
            "truncation=True for long texts) to get rows of one length."
        )
    if longest > width:
        raise TokenizerError(
            f"Cannot build a tensor: a row has {longest} tokens, more than the padding length "
            f"{width}. Pass truncation=True (with max_length={width}) or a larger max_length."
        )
    positions = np.arange(width)
    if pad.side == "left":
        mask = positions >= (width - lengths)[:, None]
    else:
        mask = positions < lengths[:, None]
    total = int(lengths.sum())
    out: dict[str, np.ndarray] = {"input_ids": _scatter(ids, mask, total, pad.pad_id)}
    if fields.token_type_ids:
        rows = [e.type_ids for e in encodings]
        out["token_type_ids"] = _scatter(rows, mask, total, pad.pad_type_id)
    if fields.attention_mask:
        out["attention_mask"] = mask.astype(np.int64)
    if fields.special_tokens_mask:
        out["special_tokens_mask"] = _scatter(
            [e.special_tokens_mask for e in encodings], mask, total, 1
        )
    if fields.offset_mapping:
        out["offset_mapping"] = _scatter([e.offsets for e in encodings], mask, total, 0, width=2)
    if fields.length:
        out["length"] = np.full(len(ids), width, dtype=np.int64)
    return out, target, longest
