"""Losses and small head helpers shared by the Flax models (label -100 ignored; the
reference's rules for picking a loss)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from tfx_core.errors import ConfigError

Array = jax.Array
IGNORE_INDEX = -100


def flatten_choices(value: Array | None) -> Array | None:
    """`[batch, choices, ...]` -> `[batch * choices, ...]` (multiple choice inputs)."""
    if value is None:
        return None
    value = jnp.asarray(value)
    return value.reshape(-1, *value.shape[2:])


def split_span_logits(logits: Array) -> tuple[Array, Array]:
    """`[batch, seq, 2]` -> start and end logits `[batch, seq]` (question answering)."""
    return logits[..., 0], logits[..., 1]


def last_token_index(input_ids: Array | None, length: int, batch: int, pad_token_id: Any) -> Array:
    """Index of each row's rightmost non-padding token (GPT-style sequence classification)."""
    if pad_token_id is None and batch != 1:
        raise ConfigError(
            "Sequence classification needs config.pad_token_id to find the last token of each "
            "sequence in a batch; set it (e.g. to the EOS id) or classify one at a time."
        )
    if pad_token_id is None or input_ids is None:
        return jnp.full((batch,), length - 1)
    not_pad = (jnp.asarray(input_ids) != pad_token_id).astype(jnp.int32)
    return jnp.argmax(jnp.arange(length, dtype=jnp.int32) * not_pad, axis=-1)


def cross_entropy(logits: Array, labels: Array, ignore_index: int = IGNORE_INDEX) -> Array:
    """Mean token cross-entropy in float32 over labels != ignore_index."""
    logits = logits.astype(jnp.float32).reshape(-1, logits.shape[-1])
    labels = jnp.asarray(labels).reshape(-1)
    keep = labels != ignore_index
    safe = jnp.where(keep, labels, 0)
    losses = -jnp.take_along_axis(jax.nn.log_softmax(logits), safe[:, None], axis=-1)[:, 0]
    return jnp.sum(jnp.where(keep, losses, 0.0)) / jnp.maximum(jnp.sum(keep), 1)


def sequence_classification_loss(logits: Array, labels: Array, config: Any) -> Array:
    """Regression, single-label or multi-label loss by `config.problem_type` (the reference's
    rule decides when unset: one label is regression, integer labels single-label)."""
    labels = jnp.asarray(labels)
    if config.problem_type is None:
        if config.num_labels == 1:
            config.problem_type = "regression"
        elif jnp.issubdtype(labels.dtype, jnp.integer):
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    if config.problem_type == "regression":
        target = labels.astype(logits.dtype)
        if config.num_labels == 1:
            return jnp.mean((logits.squeeze() - target.squeeze()) ** 2)
        return jnp.mean((logits - target) ** 2)
    if config.problem_type == "single_label_classification":
        return cross_entropy(logits, labels)
    target = labels.astype(jnp.float32)
    x = logits.astype(jnp.float32)
    return jnp.mean(jnp.maximum(x, 0) - x * target + jnp.log1p(jnp.exp(-jnp.abs(x))))


def causal_lm_loss(logits: Array, labels: Array) -> Array:
    """Next-token cross-entropy: position i predicts label i + 1."""
    labels = jnp.asarray(labels)
    pad = jnp.full((*labels.shape[:-1], 1), IGNORE_INDEX, labels.dtype)
    return cross_entropy(logits, jnp.concatenate([labels[..., 1:], pad], axis=-1))


def span_loss(start: Array, end: Array, start_positions: Array, end_positions: Array) -> Array:
    """Mean of start and end cross-entropy; out-of-range targets are ignored."""
    length = start.shape[1]
    s = jnp.clip(jnp.asarray(start_positions).reshape(-1), 0, length)
    e = jnp.clip(jnp.asarray(end_positions).reshape(-1), 0, length)
    return (cross_entropy(start, s, length) + cross_entropy(end, e, length)) / 2
