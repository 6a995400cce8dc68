"""Losses of the task heads, with the reference's rules (label -100 is ignored)."""

from __future__ import annotations

from typing import Any

from tfx_core.modeling.keras.backend import tf

IGNORE_INDEX = -100


def _cross_entropy(logits: Any, labels: Any, ignore_index: int = IGNORE_INDEX) -> Any:
    """Mean cross-entropy over the labels that are not `ignore_index` (0 when none are)."""
    logits = tf.reshape(tf.cast(logits, tf.float32), (-1, tf.shape(logits)[-1]))
    labels = tf.reshape(tf.cast(labels, tf.int32), (-1,))
    keep = tf.not_equal(labels, ignore_index)
    safe = tf.where(keep, labels, tf.zeros_like(labels))
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
    weights = tf.cast(keep, losses.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(losses * weights), tf.reduce_sum(weights))


def sequence_classification_loss(logits: Any, labels: Any, config: Any) -> Any:
    """Regression, single-label or multi-label loss, by `config.problem_type` (or inferred:
    one label is regression, integer labels single-label, else multi-label)."""
    num_labels = config.num_labels
    if config.problem_type is None:
        if num_labels == 1:
            config.problem_type = "regression"
        elif labels.dtype.is_integer:
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    logits = tf.cast(logits, tf.float32)
    if config.problem_type == "regression":
        labels = tf.cast(labels, tf.float32)
        if num_labels == 1:
            return tf.reduce_mean(tf.square(tf.reshape(logits, (-1,)) - tf.reshape(labels, (-1,))))
        return tf.reduce_mean(tf.square(logits - labels))
    if config.problem_type == "single_label_classification":
        return _cross_entropy(logits, labels)
    labels = tf.cast(labels, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def token_classification_loss(logits: Any, labels: Any) -> Any:
    """Mean cross-entropy over labelled positions (token classification, masked LM)."""
    return _cross_entropy(logits, labels)


def causal_lm_loss(logits: Any, labels: Any) -> Any:
    """Next-token cross-entropy: position i predicts label i + 1."""
    labels = tf.cast(labels, tf.int32)
    shifted = tf.concat([labels[:, 1:], tf.fill((tf.shape(labels)[0], 1), IGNORE_INDEX)], axis=1)
    return _cross_entropy(logits, shifted)


def span_loss(start_logits: Any, end_logits: Any, start: Any, end: Any) -> Any:
    """Question answering: mean of start and end cross-entropy; out-of-range targets ignored."""
    length = tf.shape(start_logits)[1]
    start = tf.clip_by_value(tf.reshape(tf.cast(start, tf.int32), (-1,)), 0, length)
    end = tf.clip_by_value(tf.reshape(tf.cast(end, tf.int32), (-1,)), 0, length)
    ignored = tf.fill(tf.shape(start), IGNORE_INDEX)
    start_loss = _cross_entropy(start_logits, tf.where(start == length, ignored, start))
    end_loss = _cross_entropy(end_logits, tf.where(end == length, ignored, end))
    return (start_loss + end_loss) / 2
