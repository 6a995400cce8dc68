"""Fixed sin/cos position tables in numpy, shared by the Keras and Flax models (no framework
import). Tables are cached and read-only: copy one before changing it."""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["fairseq_table", "sinusoidal_table"]


@functools.lru_cache(maxsize=16)
def sinusoidal_table(num_positions: int, dim: int) -> np.ndarray:
    """Marian / Pegasus positions `[num_positions, dim]`: sin of each frequency in the first
    half of the features, cos in the second (the reference's layout)."""
    position = np.arange(num_positions, dtype=np.float64)[:, None]
    frequency = np.array([1.0 / math.pow(10000, 2 * (j // 2) / dim) for j in range(dim)])
    angles = position * frequency[None, :]
    half = dim // 2 + dim % 2
    table = np.zeros((num_positions, dim), np.float64)
    table[:, :half] = np.sin(angles[:, 0::2])
    table[:, half:] = np.cos(angles[:, 1::2])
    return _frozen(table.astype(np.float32))


@functools.lru_cache(maxsize=16)
def fairseq_table(rows: int, dim: int, padding_idx: int | None) -> np.ndarray:
    """fairseq's (M2M100) `[rows, dim]`: sin then cos of `pos * 10000 ** (-i / (dim/2 - 1))`, a
    zero column for odd `dim`, a zero `padding_idx` row."""
    half = dim // 2
    frequencies = np.exp(np.arange(half, dtype=np.float32) * -(math.log(10000) / (half - 1)))
    angles = np.arange(rows, dtype=np.float32)[:, None] * frequencies[None, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    if dim % 2:
        table = np.concatenate([table, np.zeros((rows, 1), np.float32)], axis=1)
    if padding_idx is not None:
        table[padding_idx] = 0
    return _frozen(table.astype(np.float32))


def _frozen(table: np.ndarray) -> np.ndarray:
    table.flags.writeable = False
    return table
