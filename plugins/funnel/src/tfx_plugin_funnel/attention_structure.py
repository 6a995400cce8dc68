"""What every Funnel attention layer reads besides its hidden states, and how pooling shrinks it.

`AttentionInputs` carries, for the current sequence: the sinusoidal relative-position tables,
the token-type match matrix (`[CLS]`, token type 2, matches everything), the padding mask and
the `[CLS]` mask (zero on `[CLS]`'s row and column, which take no position or token-type score
when `separate_cls`). `FunnelAttentionStructure` builds them for a sequence and pools them
with the hidden states at the start of each block, as the reference does:

- `relative_shift` precomputes, per block, the position rows of the block's own (pooled)
  positions, and of the pooling step (pooled queries over the previous block's keys);
- `factorized` keeps four `[length, d_model]` tables (phi, pi: query side; psi, omega: key
  side) and pools each side with its sequence.

Positions are integers known from the length alone, so they are computed in Python.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_plugin_funnel.configuration_funnel import FunnelConfig

CLS_TOKEN_TYPE_ID = 2


class AttentionInputs(NamedTuple):
    position: tuple | list  # factorized: (phi, pi, psi, omega); relative_shift: per block
    token_type_mat: torch.Tensor | None  # [batch, queries, keys] bool
    attention_mask: torch.Tensor | None  # [batch, keys], 1 = attend
    cls_mask: torch.Tensor | None  # [queries, keys], 0 on [CLS]'s row and column


class FunnelAttentionStructure(nn.Module):
    """Builds `AttentionInputs` for a sequence and pools them (dropout on the sinusoids)."""

    def __init__(self, config: FunnelConfig) -> None:
        super().__init__()
        self.config = config
        self.sin_dropout = nn.Dropout(config.hidden_dropout)
        self.cos_dropout = nn.Dropout(config.hidden_dropout)

    # ------------------------------------------------------------------ building
    def init_attention_inputs(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> AttentionInputs:
        length = inputs_embeds.shape[1]
        dtype, device = inputs_embeds.dtype, inputs_embeds.device
        if self.config.attention_type == "factorized":
            position = self.factorized_tables(length, dtype, device)
        else:
            position = self.relative_shift_tables(length, dtype, device)
        token_type_mat = None
        if token_type_ids is not None:
            same = token_type_ids[:, :, None] == token_type_ids[:, None]
            cls = token_type_ids == CLS_TOKEN_TYPE_ID
            token_type_mat = same | cls[:, :, None] | cls[:, None]
        cls_mask = None
        if self.config.separate_cls:
            cls_mask = F.pad(inputs_embeds.new_ones(length - 1, length - 1), (1, 0, 1, 0))
        return AttentionInputs(position, token_type_mat, attention_mask, cls_mask)

    def _frequencies(self, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        half = self.config.d_model // 2
        steps = torch.arange(half, dtype=torch.int64, device=device).to(dtype)
        return 1 / (10000 ** (steps / half))

    def factorized_tables(
        self, length: int, dtype: torch.dtype, device: torch.device
    ) -> tuple[torch.Tensor, ...]:
        """(phi, pi, psi, omega): the paper's factorized relative attention (A.2.2)."""
        positions = torch.arange(length, dtype=torch.int64, device=device).to(dtype)
        angles = positions[:, None] * self._frequencies(dtype, device)[None]
        sin, cos = torch.sin(angles), torch.cos(angles)
        sin_dropped, cos_dropped = self.sin_dropout(sin), self.cos_dropout(cos)
        phi = torch.cat([sin_dropped, sin_dropped], dim=-1)
        pi = torch.cat([cos_dropped, cos_dropped], dim=-1)
        psi = torch.cat([cos, sin], dim=-1)
        omega = torch.cat([-sin, cos], dim=-1)
        return phi, pi, psi, omega

    def relative_shift_tables(
        self, length: int, dtype: torch.dtype, device: torch.device
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Per block: (rows for the block's positions, rows for its pooling step or None).

        The table holds the sinusoids of every distance in [-span, span) (span: 2 x length, or
        more if the blocks reach further); each block reads the rows of the distances its
        (pooled) positions produce (the paper's A.2.1).
        """
        plan = self.block_distances(length)
        spans = [span for pair in plan for span in pair if span is not None and len(span)]
        offset = max([2 * length] + [max(span[0], -span[-1]) + 1 for span in spans])
        distances = torch.arange(-offset, offset, dtype=torch.int64, device=device).to(dtype)
        angles = distances[:, None] * self._frequencies(dtype, device)[None]
        table = torch.cat(
            [self.sin_dropout(torch.sin(angles)), self.cos_dropout(torch.cos(angles))], dim=-1
        )

        def rows(distances: range) -> torch.Tensor:
            index = torch.arange(distances.start, distances.stop, distances.step, device=device)
            return table.index_select(0, index + offset)

        return [(rows(own), None if pooling is None else rows(pooling)) for own, pooling in plan]

    def block_distances(self, length: int) -> list[tuple[range, range | None]]:
        """Per block: the distances its own positions read, and those of its pooling step.

        A block pools only a sequence longer than `[CLS]` + 1 token (as the encoder does); the
        reference pools the positions regardless and fails on such short inputs, which here
        keep their positions (and give the reference's results wherever it runs).
        """
        positions: list[int] = list(range(length))
        stride, shortest = 1, 2 if self.config.separate_cls else 1
        plan = []
        for block in range(self.config.num_blocks):
            pooling = None
            if block > 0 and len(positions) > shortest:
                pooled = self.pooled_positions(positions, 2 * stride)
                pooling = _distances(positions, stride, pooled, shift=2)
                positions, stride = pooled, 2 * stride
            plan.append((_distances(positions, stride), pooling))
        return plan

    def pooled_positions(self, positions: list[int], stride: int) -> list[int]:
        """The positions left by a pooling to `stride` ([CLS] kept apart, before the rest)."""
        if not self.config.separate_cls:
            return positions[::2]
        rest = positions[1:-1] if self.config.truncate_seq else positions[1:]
        return [1 - stride, *rest[::2]]

    # ------------------------------------------------------------------ pooling
    def stride_pool(self, tensor: torch.Tensor | None, *axes: int) -> torch.Tensor | None:
        """Keep every other entry along each axis ([CLS] kept apart, last dropped if asked)."""
        if tensor is None:
            return None
        separate, truncate = self.config.separate_cls, self.config.truncate_seq
        for axis in axes:
            axis %= tensor.ndim
            if separate:
                tensor = torch.cat([tensor.narrow(axis, 0, 1), tensor], dim=axis)
            index = [slice(None)] * axis + [slice(None, -1 if separate and truncate else None, 2)]
            tensor = tensor[tuple(index)]
        return tensor

    def pool_tensor(self, tensor: torch.Tensor | None, mode: str) -> torch.Tensor | None:
        """Pool pairs of neighbours along the sequence (`[batch, length (, hidden)]`)."""
        if tensor is None:
            return None
        if self.config.separate_cls:
            rest = tensor[:, :-1] if self.config.truncate_seq else tensor
            tensor = torch.cat([tensor[:, :1], rest], dim=1)
        squeezed = tensor.ndim == 2
        grid = tensor[:, None, :, None] if squeezed else tensor[:, None]
        if mode == "mean":
            grid = F.avg_pool2d(grid, (2, 1), stride=(2, 1), ceil_mode=True)
        elif mode == "max":
            grid = F.max_pool2d(grid, (2, 1), stride=(2, 1), ceil_mode=True)
        else:  # "min": keeps a key only when both neighbours are kept
            grid = -F.max_pool2d(-grid, (2, 1), stride=(2, 1), ceil_mode=True)
        return grid[:, 0, :, 0] if squeezed else grid[:, 0]

    def pre_attention_pooling(
        self, hidden: torch.Tensor, inputs: AttentionInputs
    ) -> tuple[torch.Tensor, AttentionInputs]:
        """Pool the hidden states and the query side (and the key side unless `pool_q_only`)."""
        position, token_types, mask, cls_mask = inputs
        factorized = self.config.attention_type == "factorized"
        if self.config.pool_q_only:
            if factorized:
                position = (*self.stride_pool_each(position[:2]), *position[2:])
            token_types = self.stride_pool(token_types, 1)
            cls_mask = self.stride_pool(cls_mask, 0)
        else:
            if factorized:
                position = self.stride_pool_each(position)
            token_types = self.stride_pool(token_types, 1, 2)
            cls_mask = self.stride_pool(cls_mask, 0, 1)
            mask = self.pool_tensor(mask, "min")
        pooled = self.pool_tensor(hidden, self.config.pooling_type)
        return pooled, AttentionInputs(position, token_types, mask, cls_mask)

    def post_attention_pooling(self, inputs: AttentionInputs) -> AttentionInputs:
        """With `pool_q_only`, pool the key side once the block's first layer has run."""
        if not self.config.pool_q_only:
            return inputs
        position, token_types, mask, cls_mask = inputs
        if self.config.attention_type == "factorized":
            position = (*position[:2], *self.stride_pool_each(position[2:]))
        return AttentionInputs(
            position,
            self.stride_pool(token_types, 2),
            self.pool_tensor(mask, "min"),
            self.stride_pool(cls_mask, 1),
        )

    def stride_pool_each(self, tables: tuple) -> tuple:
        return tuple(self.stride_pool(table, 0) for table in tables)


def _distances(
    positions: list[int], stride: int, pooled: list[int] | None = None, shift: int = 1
) -> range:
    """Relative distances (largest first) whose rows the shifted score matrix reads."""
    pooled = positions if pooled is None else pooled
    largest = pooled[0] - positions[0] + shift * len(pooled) * stride
    smallest = pooled[0] - positions[-1]
    return range(largest, smallest - 1, -stride)


def relative_shift(scores: torch.Tensor, context_len: int, shift: int) -> torch.Tensor:
    """`[batch, heads, queries, rows]` scores against distance rows -> `[..., queries, keys]`.

    Reading the matrix as `[rows, queries]`, dropping `shift` leading rows and reading it back
    moves each query's row by one more place, so column j lands on its own distance.
    """
    batch, heads, queries, rows = scores.shape
    shifted = scores.reshape(batch, heads, rows, queries)[:, :, shift:]
    return shifted.reshape(batch, heads, queries, rows - shift)[..., :context_len]


def upsample(
    hidden: torch.Tensor, stride: int, target_len: int, separate_cls: bool, truncate_seq: bool
) -> torch.Tensor:
    """Repeat each pooled token `stride` times to get back `target_len` tokens ([CLS] once)."""
    if stride == 1:
        return hidden
    if not separate_cls:
        return torch.repeat_interleave(hidden, stride, dim=1)[:, :target_len]
    repeated = torch.repeat_interleave(hidden[:, 1:], stride, dim=1)
    if truncate_seq:
        repeated = F.pad(repeated, (0, 0, 0, stride - 1))
    return torch.cat([hidden[:, :1], repeated[:, : target_len - 1]], dim=1)
