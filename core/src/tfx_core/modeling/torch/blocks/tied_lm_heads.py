"""The RoBERTa family's head models without a pooler, written once (RoBERTa, XLM-RoBERTa,
CamemBERT, MPNet, I-BERT, ...).

Their masked- and causal-LM heads read the base model's states without its pooler, through
`lm_head` (a `DenseLMHead`) whose `decoder` is tied to the word embeddings and whose bias is
`lm_head.bias`. A plugin mixes `TiedDenseLMHead` in before the core's `MaskedLMHead` /
`CausalLMHead` and sets `base_model_class`, `lm_head_class` and `tied_weights` (its keys name
the base model's prefix). `NoPoolerHead` is that base-without-pooler part alone (token
classification, QA); `FirstTokenClassifier` is the sequence classifier that reads the first
token through the architecture's own `classification_head_class` (mixed in after
`NoPoolerHead` where the base model has a pooler to drop).
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

#: Base-model arguments of heads that do not read the pooler.
WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}
#: Checkpoint keys such heads ignore: the pooler, and the position-id buffer of old files.
NO_POOLER_KEYS: list[str] = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]


class NoPoolerHead:
    """A head whose base model is built without its pooler (its checkpoint keys are ignored)."""

    base_model_kwargs: ClassVar[dict[str, Any]] = WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = NO_POOLER_KEYS


class FirstTokenClassifier:
    """Mixed in before `SequenceClassificationHead`: `classifier = classification_head_class(
    config)` over the first token, with its own dropout (ELECTRA, RoBERTa, ... style)."""

    classification_head_class: ClassVar[type[nn.Module]]
    head_input: ClassVar[str] = "first_token"
    dropout_fields: ClassVar[tuple[str, ...] | None] = None

    def build_classifier(self, config: Any, outputs: int) -> nn.Module:
        return self.classification_head_class(config)


class TiedDenseLMHead(NoPoolerHead):
    """`lm_head = lm_head_class(config)`, tied to the embeddings; the base without pooler."""

    lm_head_class: ClassVar[type[nn.Module]]
    shared_weights: ClassVar[dict[str, str]] = {"lm_head.decoder.bias": "lm_head.bias"}
    output_embeddings_attribute: ClassVar[str] = "lm_head.decoder"

    def build_head(self, config: Any) -> None:
        self.lm_head = self.lm_head_class(config)


__all__ = [
    "NO_POOLER_KEYS",
    "WITHOUT_POOLER",
    "FirstTokenClassifier",
    "NoPoolerHead",
    "TiedDenseLMHead",
]
