"""DeBERTa-family pieces: disentangled relative-position scores, masked embeddings, pooler, loss.

DeBERTa (v1), DeBERTa-v2/v3 and SEW-D add to the content-to-content scores of each head
content-to-position (`c2p`: query . projected relative embedding) and position-to-content
(`p2c`: key . projected relative embedding) scores. The math is written here once; each plugin
writes its attention module (its own projection names) and calls it.

Speed: a forward over `L` tokens reads at most `2L - 1` rows of the relative-position table,
so only those rows are normalized and projected (`relative_rows`), not the whole table
(512 rows in DeBERTa-v3, for every layer and both projections). Rows are projected
independently, so the scores are the reference's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.activations import activation_fn


# --------------------------------------------------------------- relative positions
def log_buckets(relative: torch.Tensor, buckets: int, max_position: int) -> torch.Tensor:
    """Distances beyond `buckets // 2` mapped to log-spaced buckets (DeBERTa-v2's scheme)."""
    mid = buckets // 2
    sign = torch.sign(relative)
    near = (relative < mid) & (relative > -mid)
    magnitude = torch.where(near, torch.full_like(relative, mid - 1), relative.abs())
    log_base = torch.log(torch.tensor((max_position - 1) / mid))
    far = torch.ceil(torch.log(magnitude / mid) / log_base * (mid - 1)) + mid
    return torch.where(magnitude <= mid, relative.to(far.dtype), far * sign).long()


def relative_positions(
    query_length: int,
    key_length: int,
    *,
    buckets: int = -1,
    max_position: int = -1,
    device: torch.device | None = None,
) -> torch.Tensor:
    """`[query, key]` distances `i - j`, log-bucketed when `buckets` and `max_position` > 0."""
    queries = torch.arange(query_length, dtype=torch.long, device=device)
    keys = torch.arange(key_length, dtype=torch.long, device=device)
    relative = queries[:, None] - keys[None, :]
    if buckets > 0 and max_position > 0:
        relative = log_buckets(relative, buckets, max_position)
    return relative


class RelativeRows(NamedTuple):
    """The rows `start:stop` of a relative-embedding table that one forward reads, and for
    each score the row it reads: `c2p[i, j]` for query `i` and key `j`, `p2c[j, i]` for key
    `j` and query `i` (the reference's layout, transposed after the gather)."""

    start: int
    stop: int
    c2p: torch.Tensor
    p2c: torch.Tensor


def relative_rows(relative: torch.Tensor, span: int, offset: int = 0) -> RelativeRows:
    """Rows read for distances `relative` over a window of `2 * span` rows at `offset` (the
    rows actually read; while compiling, the whole window: same scores, no data-dependent
    shape)."""
    c2p = torch.clamp(relative + span, 0, 2 * span - 1) + offset
    p2c = torch.clamp(-relative + span, 0, 2 * span - 1) + offset
    if torch.compiler.is_compiling():  # no data-dependent bounds in a graph: the whole window
        start, stop = offset, offset + 2 * span
    else:
        start = int(min(c2p.min(), p2c.min()))
        stop = int(max(c2p.max(), p2c.max())) + 1
    return RelativeRows(start, stop, c2p - start, p2c - start)


def disentangled_scores(
    query: torch.Tensor,
    key: torch.Tensor,
    rows: RelativeRows,
    position_keys: torch.Tensor | None,
    position_queries: torch.Tensor | None,
) -> torch.Tensor | None:
    """`c2p + p2c` scores `[batch, heads, query, key]` (not yet scaled).

    `query`/`key` are `[batch, heads, length, dim]`; `position_keys` / `position_queries` are
    the projected rows `[heads, rows, dim]` (None: that term is off).
    """
    batch, heads, length = query.shape[:3]
    scores = None
    if position_keys is not None:
        c2p = torch.matmul(query, position_keys.transpose(-1, -2))
        scores = torch.gather(c2p, -1, rows.c2p.expand(batch, heads, length, -1))
    if position_queries is not None:
        p2c = torch.matmul(key, position_queries.transpose(-1, -2))
        keys = key.shape[2]
        p2c = torch.gather(p2c, -1, rows.p2c.expand(batch, heads, keys, -1)).transpose(-1, -2)
        scores = p2c if scores is None else scores + p2c
    return scores


def position_heads(projected: torch.Tensor, heads: int) -> torch.Tensor:
    """Projected table rows `[rows, heads * dim]` -> `[heads, rows, dim]`."""
    return projected.view(projected.shape[0], heads, -1).transpose(0, 1)


def scale_factor(pos_att_type: list[str]) -> int:
    """1 + the number of position terms: scores are divided by sqrt(dim * this)."""
    return 1 + sum(kind in pos_att_type for kind in ("c2p", "p2c"))


# --------------------------------------------------------------------- masks
def pair_bias(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """Additive bias `[batch, 1, L, L]` masking pairs where the query or the key is padding.

    As in the reference, a padding query attends to nothing (its row is uniform). None when
    nothing is masked.
    """
    if mask is None:
        return None
    if mask.dim() != 2:
        raise ConfigError(
            f"attention_mask must be [batch, length] (1 = token, 0 = padding), got shape "
            f"{tuple(mask.shape)}."
        )
    if not torch.compiler.is_compiling() and bool(mask.all()):  # (compiled: no value read)
        return None
    keep = mask.bool()
    pair = keep[:, None, :, None] & keep[:, None, None, :]
    bias = torch.zeros(pair.shape, dtype=dtype, device=mask.device)
    return bias.masked_fill_(~pair, torch.finfo(dtype).min)


# ---------------------------------------------------------------- embeddings
class MaskedEmbeddings(nn.Module):
    """Word (+ absolute position if `position_biased_input`) (+ token type if
    `type_vocab_size` > 0) embeddings of width `embedding_size`, projected to `hidden_size`
    by `embed_proj` when they differ, `LayerNorm`, padding rows zeroed, dropout."""

    def __init__(self, config: Any, norm: type[nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        width = getattr(config, "embedding_size", None) or config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, width, padding_idx=config.pad_token_id
        )
        self.position_biased_input = getattr(config, "position_biased_input", True)
        self.position_embeddings = (
            nn.Embedding(config.max_position_embeddings, width)
            if self.position_biased_input
            else None
        )
        self.token_type_embeddings = (
            nn.Embedding(config.type_vocab_size, width) if config.type_vocab_size > 0 else None
        )
        self.embed_proj = (
            nn.Linear(width, config.hidden_size, bias=False)
            if width != config.hidden_size
            else None
        )
        self.LayerNorm = norm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        embeddings = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        if self.position_embeddings is not None:
            if position_ids is None:
                length = embeddings.shape[1]
                if length > self.max_positions:
                    raise ConfigError(
                        f"The input has {length} positions but this model handles at most "
                        f"{self.max_positions} (max_position_embeddings): truncate it "
                        "(e.g. tokenizer(..., truncation=True))."
                    )
                embeddings = embeddings + self.position_embeddings.weight[:length]
            else:
                embeddings = embeddings + self.position_embeddings(position_ids.long())
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                embeddings = embeddings + self.token_type_embeddings.weight[0]
            else:
                embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        if self.embed_proj is not None:
            embeddings = self.embed_proj(embeddings)
        embeddings = self.LayerNorm(embeddings)
        if mask is not None:
            embeddings = embeddings * mask.unsqueeze(-1).to(embeddings.dtype)
        return self.dropout(embeddings) if self.training else embeddings


class ContextPooler(nn.Module):
    """`dense` over the first token (after dropout), then `pooler_hidden_act`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        width = getattr(config, "pooler_hidden_size", None) or config.hidden_size
        self.dense = nn.Linear(width, width)
        self.dropout = nn.Dropout(getattr(config, "pooler_dropout", 0.0))
        self.activation = activation_fn(getattr(config, "pooler_hidden_act", "gelu"))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(self.dropout(hidden_states[:, 0])))


# --------------------------------------------------------------------- loss
def classification_loss(logits: torch.Tensor, labels: torch.Tensor, config: Any) -> torch.Tensor:
    """The DeBERTa heads' sequence-classification loss when `problem_type` is not set:
    regression for one label; integer labels with negative ones ignored; otherwise soft labels
    (`-(log_softmax * labels).sum(-1).mean()`). A set `problem_type` picks the usual loss."""
    num_labels = config.num_labels
    problem = config.problem_type
    if problem == "regression":
        if num_labels == 1:
            return F.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
        return F.mse_loss(logits, labels.to(logits.dtype))
    if problem == "single_label_classification":
        return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    if problem == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    if num_labels == 1:
        return F.mse_loss(logits.view(-1).to(labels.dtype), labels.view(-1))
    if labels.dim() == 1 or labels.size(-1) == 1:
        # The mean over the kept rows (zero when none is kept) without a data-dependent
        # branch or shape, so the loss traces into one graph under torch.compile.
        labels = labels.view(-1).long()
        kept = labels >= 0
        total = F.cross_entropy(
            logits.view(-1, num_labels).float(), labels.masked_fill(~kept, -100), reduction="sum"
        )
        return total / kept.sum().clamp(min=1)
    return -(F.log_softmax(logits, dim=-1) * labels).sum(-1).mean()


def table_span(config: Any) -> tuple[int, int]:
    """`(max_relative_positions, position_buckets)` as the reference resolves them."""
    max_relative = getattr(config, "max_relative_positions", -1)
    if max_relative < 1:
        max_relative = config.max_position_embeddings
    return max_relative, getattr(config, "position_buckets", -1)


__all__ = [
    "ContextPooler",
    "MaskedEmbeddings",
    "RelativeRows",
    "classification_loss",
    "disentangled_scores",
    "log_buckets",
    "pair_bias",
    "position_heads",
    "relative_positions",
    "relative_rows",
    "scale_factor",
    "table_span",
]
