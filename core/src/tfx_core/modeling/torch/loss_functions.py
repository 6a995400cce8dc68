"""The reference's loss functions, by the head they belong to (`model.loss_function`).

Each takes the reference's arguments (`num_items_in_batch` turns the mean into a sum divided by
that count, as gradient accumulation needs), so custom training loops written against the
reference's `model.loss_function(...)` run unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def _cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    num_items_in_batch: Any = None,
    ignore_index: int = IGNORE_INDEX,
    **kwargs: Any,
) -> torch.Tensor:
    if num_items_in_batch is None:
        return F.cross_entropy(logits, target, ignore_index=ignore_index)
    total = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="sum")
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(total.device)
    return total / num_items_in_batch


def causal_lm(
    logits: torch.Tensor,
    labels: torch.Tensor,
    vocab_size: int,
    num_items_in_batch: Any = None,
    ignore_index: int = IGNORE_INDEX,
    shift_labels: torch.Tensor | None = None,
    **kwargs: Any,
) -> torch.Tensor:
    """Next-token loss: position i predicts label i + 1 (or `shift_labels[i]`), in float32."""
    if shift_labels is None:
        shift_labels = F.pad(labels, (0, 1), value=ignore_index)[..., 1:]
    targets = shift_labels.reshape(-1).to(logits.device)
    return _cross_entropy(
        logits.float().reshape(-1, vocab_size), targets, num_items_in_batch, ignore_index
    )


def masked_lm(
    logits: torch.Tensor,
    labels: torch.Tensor,
    vocab_size: int,
    num_items_in_batch: Any = None,
    ignore_index: int = IGNORE_INDEX,
    **kwargs: Any,
) -> torch.Tensor:
    """Loss over the labelled (masked) positions, in float32."""
    targets = labels.reshape(-1).to(logits.device)
    return _cross_entropy(
        logits.float().reshape(-1, vocab_size), targets, num_items_in_batch, ignore_index
    )


def sequence_classification(
    labels: torch.Tensor, pooled_logits: torch.Tensor, config: Any, **kwargs: Any
) -> torch.Tensor:
    """Regression, single-label or multi-label loss by `config.problem_type` (inferred and
    recorded on the config when unset, with the reference's rule)."""
    from tfx_core.modeling.torch.losses import sequence_classification_loss

    if config.problem_type is None and config.num_labels > 1:
        is_int = labels.dtype in (torch.long, torch.int)
        config.problem_type = (
            "single_label_classification" if is_int else "multi_label_classification"
        )
    labels = labels.to(pooled_logits.device)
    if config.problem_type == "single_label_classification":
        return _cross_entropy(
            pooled_logits.reshape(-1, config.num_labels), labels.reshape(-1), **kwargs
        )
    return sequence_classification_loss(pooled_logits, labels, config)


def token_classification(
    logits: torch.Tensor, labels: torch.Tensor, config: Any, **kwargs: Any
) -> torch.Tensor:
    targets = labels.reshape(-1).to(logits.device)
    return _cross_entropy(logits.reshape(-1, config.num_labels).float(), targets, **kwargs)


def question_answering(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor | None,
    end_positions: torch.Tensor | None,
    **kwargs: Any,
) -> torch.Tensor | None:
    """Mean of the start and end losses; positions outside the sequence are ignored."""
    if start_positions is None or end_positions is None:
        return None
    length = start_logits.size(1)
    losses = []
    for logits, positions in ((start_logits, start_positions), (end_logits, end_positions)):
        if positions.dim() > 1:
            positions = positions.squeeze(-1)
        positions = positions.to(logits.device).clamp(0, length)
        losses.append(_cross_entropy(logits, positions, ignore_index=length, **kwargs))
    return (losses[0] + losses[1]) / 2


#: Class-name part -> loss, as the reference picks them.
LOSS_MAPPING: dict[str, Callable[..., Any]] = {
    "ForCausalLM": causal_lm,
    "ForMaskedLM": masked_lm,
    "ForQuestionAnswering": question_answering,
    "ForSequenceClassification": sequence_classification,
    "ForImageClassification": sequence_classification,
    "ForAudioClassification": sequence_classification,
    "ForTokenClassification": token_classification,
    "ForConditionalGeneration": causal_lm,
}


def loss_for_class(class_name: str) -> Callable[..., Any]:
    """The loss for a model class name (`BertForMaskedLM` -> masked LM); causal LM otherwise,
    as in the reference."""
    found = re.findall("|".join(LOSS_MAPPING), class_name)
    return LOSS_MAPPING[found[0]] if found else causal_lm
