"""Generic task heads: what every architecture's `...ForSequenceClassification` etc. repeats.

A plugin's head is a few lines: it names its base model class and what the head reads, e.g.

```python
class BertForSequenceClassification(SequenceClassificationHead, BertPreTrainedModel):
    base_model_class = BertModel            # built at `base_model_prefix` ("bert")
    head_input = "pooled"                   # pooler output; or "first_token", "last_token"
```

Each head builds its base model and its layers with the reference's attribute names
(`classifier`, `qa_outputs`, `dropout`, ...), runs the base with `return_dict=True`, applies
its layers, computes the loss through `losses`, and returns the reference's output class (or
its tuple with `return_dict=False`). Positional and keyword inputs go to the base model as
given, so each head accepts exactly what its base accepts. Class attributes say what differs:

- `head_input`: "pooled" (the base's `pooler_output`), "first_token" (`[CLS]` / `<s>`),
  "last_token" (each sequence's last non-padding token, for decoders), "sequence" (all tokens);
- `classifier_attribute` (default "classifier"), `classifier_bias`;
- `dropout_fields`: config fields tried in order for the head's dropout (None: no dropout);
- `base_model_kwargs`: extra arguments for the base model (e.g. `add_pooling_layer=False`);
- `build_head(config)`: override to add or replace layers; `head_features(features)` to
  transform what the classifier reads (e.g. DistilBERT's `pre_classifier` + ReLU).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import (
    CausalLMOutputWithPast,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch import first_token
from tfx_core.modeling.torch.linear import Linear
from tfx_core.modeling.torch.losses import (
    causal_lm_loss,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)

_HEAD_INPUTS = ("pooled", "first_token", "last_token", "sequence")
_BASE_FIELDS = ("past_key_values", "hidden_states", "attentions", "cross_attentions")


_PASSED: dict[type, tuple[str, ...]] = {}


def _passed_through(output_class: type[ModelOutput]) -> tuple[str, ...]:
    """The base-model fields (`hidden_states`, ...) that `output_class` carries over.

    Cached in a plain dict: dynamo traces it (it warns on every `functools.cache`)."""
    names = _PASSED.get(output_class)
    if names is None:
        fields = output_class.__dataclass_fields__
        names = _PASSED[output_class] = tuple(name for name in _BASE_FIELDS if name in fields)
    return names


class TaskHead:
    """Shared machinery of the generic heads (mixed in before a `PreTrainedModel` subclass)."""

    base_model_class: ClassVar[type[nn.Module]]
    base_model_kwargs: ClassVar[dict[str, Any]] = {}
    head_input: ClassVar[str] = "sequence"
    dropout_fields: ClassVar[tuple[str, ...] | None] = ("classifier_dropout", "hidden_dropout_prob")
    default_dropout: ClassVar[float] = 0.1
    output_class: ClassVar[type[ModelOutput]]

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        if self.head_input not in _HEAD_INPUTS:
            raise ConfigError(
                f"{type(self).__name__}.head_input is {self.head_input!r}; "
                f"use one of {', '.join(_HEAD_INPUTS)}."
            )
        setattr(
            self, self.base_model_prefix, self.base_model_class(config, **self.base_model_kwargs)
        )
        self.build_head(config)
        self.post_init()

    # --------------------------------------------------------------- building
    def build_head(self, config: Any) -> None:
        """Create the head's layers (override to change them)."""

    def head_dropout(self, config: Any) -> nn.Dropout | None:
        """A dropout layer from the first `dropout_fields` entry the config sets."""
        if self.dropout_fields is None:
            return None
        for field in self.dropout_fields:
            value = getattr(config, field, None)
            if value is not None:
                return nn.Dropout(value)
        return nn.Dropout(self.default_dropout)

    # --------------------------------------------------------------- running
    def run_base(self, args: tuple, kwargs: dict[str, Any], flags: dict[str, Any]) -> ModelOutput:
        base = self._modules.get(self.base_model_prefix) or getattr(self, self.base_model_prefix)
        # With autograd on (training), a head reading the first token lets the encoder compute
        # its last layer there only (`first_token`); at inference the lean plan runs, the
        # base model's own (`lean_base`, e.g. `EncoderModel`'s) when it has one.
        if torch.is_grad_enabled():
            if len(args) <= 4:
                encoder = first_token.shortcut_encoder(base, self.head_input, {**kwargs, **flags})
                if encoder is not None:
                    with first_token.first_token_only(encoder):
                        return base(*args, **kwargs, **flags, return_dict=True)
        elif not flags:
            lean_base = getattr(type(base), "lean_base", None)
            if lean_base is not None:
                outputs = lean_base(base, args, kwargs)
                if outputs is not None:
                    return outputs
        return base(*args, **kwargs, **flags, return_dict=True)

    def select(self, base: ModelOutput, args: tuple, kwargs: dict[str, Any]) -> torch.Tensor:
        """What the head reads from the base's outputs (see `head_input`)."""
        hidden = base.last_hidden_state
        if self.head_input == "pooled":
            return base.pooler_output
        if self.head_input == "first_token":
            return hidden[:, 0]
        if self.head_input == "last_token":
            input_ids = args[0] if args else kwargs.get("input_ids")
            return hidden[
                torch.arange(hidden.shape[0], device=hidden.device), self._last(input_ids, hidden)
            ]
        return hidden

    def _last(self, input_ids: torch.Tensor | None, hidden: torch.Tensor) -> torch.Tensor:
        """Index of each sequence's rightmost non-padding token (either padding side)."""
        batch, length = hidden.shape[:2]
        pad = self.config.pad_token_id
        if pad is None and batch != 1:
            raise ConfigError(
                f"{type(self).__name__} needs config.pad_token_id to find the last token of each "
                "sequence in a batch; set it (e.g. to the EOS id) or classify one at a time."
            )
        if pad is None or input_ids is None:
            return torch.full((batch,), length - 1, device=hidden.device)
        not_pad = (input_ids != pad).to(device=hidden.device, dtype=torch.int32)
        positions = torch.arange(length, device=hidden.device, dtype=torch.int32)
        return (positions * not_pad).argmax(-1)

    def dropped(self, features: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return features
        dropout = getattr(self, "dropout", None)
        return dropout(features) if dropout is not None else features

    def head_features(
        self, features: torch.Tensor, parts: Mapping[str, Any] | None = None
    ) -> torch.Tensor:
        """Transform the selected features before the classifier (identity by default).

        `parts` holds the head's layers by name when a lean plan runs (bound stand-ins; None:
        the submodules): an override that applies layers takes them from it, and accepting
        `parts` is what lets such a head run lean."""
        return features

    def finish(self, return_dict: bool | None, base: ModelOutput, **fields: Any) -> Any:
        """The output object (carrying the base's hidden states/attentions), or its tuple."""
        output_class = self.output_class
        for name in _passed_through(output_class):
            if name not in fields:
                fields[name] = getattr(base, name, None)
        return self.model_outputs(output_class.of(fields), return_dict)


class ClassifierHead(TaskHead):
    """A dropout and a linear classifier (`classifier_attribute`) over the selected features."""

    classifier_attribute: ClassVar[str] = "classifier"
    classifier_bias: ClassVar[bool] = True
    classifier_outputs: ClassVar[int | None] = None  # None: config.num_labels

    def build_head(self, config: Any) -> None:
        self.num_labels = config.num_labels
        dropout = self.head_dropout(config)
        if dropout is not None:
            self.dropout = dropout
        outputs = self.classifier_outputs or config.num_labels
        setattr(self, self.classifier_attribute, self.build_classifier(config, outputs))

    def build_classifier(self, config: Any, outputs: int) -> nn.Module:
        return Linear(config.hidden_size, outputs, bias=self.classifier_bias)

    def classify(
        self, features: torch.Tensor, parts: Mapping[str, Any] | None = None
    ) -> torch.Tensor:
        """The classifier over the transformed features (`parts`: see `head_features`)."""
        name = self.classifier_attribute
        if parts is None:
            classifier = self._modules.get(name) or getattr(self, name)
            return classifier(self.dropped(self.head_features(features)))
        return parts[name](self.dropped(self.head_features(features, parts)))


class SequenceClassificationHead(ClassifierHead):
    """Classification or regression of a whole text (pair); `problem_type` picks the loss."""

    head_input: ClassVar[str] = "pooled"

    @property
    def output_class(self) -> type[ModelOutput]:  # type: ignore[override]
        return (
            SequenceClassifierOutputWithPast
            if self.head_input == "last_token"
            else SequenceClassifierOutput
        )

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        parts = lean_head_parts(self)  # at inference, the whole model's lean plan, if any
        base = None
        if parts is not None:
            base = self._modules[self.base_model_prefix].lean_base(args, kwargs, True)
        if base is None:
            base = self.run_base(args, kwargs, {})
        features = self.select(base, args, kwargs)
        logits = self.classify(features) if parts is None else self.classify(features, parts)
        loss = (
            sequence_classification_loss(logits, labels, self.config)
            if labels is not None
            else None
        )
        return self.finish(return_dict, base, loss=loss, logits=logits)


class TokenClassificationHead(ClassifierHead):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    output_class = TokenClassifierOutput

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.classify(base.last_hidden_state)
        loss = (
            token_classification_loss(logits, labels.to(logits.device))
            if labels is not None
            else None
        )
        return self.finish(return_dict, base, loss=loss, logits=logits)


class QuestionAnsweringHead(ClassifierHead):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    classifier_attribute = "qa_outputs"
    dropout_fields = None
    output_class = QuestionAnsweringModelOutput
    #: Refuse configs whose `num_labels` is not 2 (start, end) when building, as DistilBERT's
    #: reference does (others fail later, when splitting the logits).
    requires_two_labels: ClassVar[bool] = False

    def build_head(self, config: Any) -> None:
        if self.requires_two_labels and config.num_labels != 2:
            raise ConfigError(
                f"{type(self).__name__} needs num_labels=2 (start, end), got {config.num_labels}."
            )
        super().build_head(config)

    def forward(
        self,
        *args: Any,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.classify(base.last_hidden_state)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        return self.finish(
            return_dict, base, loss=loss, start_logits=start_logits, end_logits=end_logits
        )


class MultipleChoiceHead(ClassifierHead):
    """Scores each of `num_choices` candidates; inputs are `[batch, num_choices, length]`."""

    head_input: ClassVar[str] = "pooled"
    classifier_outputs = 1
    output_class = MultipleChoiceModelOutput

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        reference = args[0] if args else kwargs.get("input_ids")
        if reference is None:
            reference = kwargs.get("inputs_embeds")
        if reference is None or reference.dim() < 3:
            raise ConfigError(
                f"{type(self).__name__} takes inputs shaped [batch, num_choices, length]."
            )
        num_choices = reference.shape[1]
        args = tuple(_flatten_choices(name, value) for name, value in zip(_POSITIONAL, args))
        kwargs = {name: _flatten_choices(name, value) for name, value in kwargs.items()}
        base = self.run_base(args, kwargs, {})
        logits = self.classify(self.select(base, args, kwargs)).view(-1, num_choices)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


_POSITIONAL = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "head_mask")


def _flatten_choices(name: str, value: Any) -> Any:
    """`[batch, choices, ...]` inputs -> `[batch * choices, ...]` (the head mask is shared)."""
    if not isinstance(value, torch.Tensor) or name == "head_mask":
        return value
    keep = 2 if name == "inputs_embeds" else 1
    return value.reshape(-1, *value.shape[-keep:])


class LanguageModelingHead(TaskHead):
    """Masked- or causal-LM: the plugin builds its vocabulary head in `build_head`.

    `lm_head_attribute` names that module (`cls`, `lm_head`, ...); it maps hidden states to
    vocabulary logits. `get_output_embeddings` is `PreTrainedModel`'s: the path in
    `output_embeddings_attribute`.
    """

    lm_head_attribute: ClassVar[str] = "lm_head"
    dropout_fields = None

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.lm_head_attribute)(hidden)


class MaskedLMHead(LanguageModelingHead):
    """Predicts masked tokens over the vocabulary (`fill-mask`); label -100 is ignored."""

    head_input = "sequence"
    output_class = MaskedLMOutput

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.lm_logits(base.last_hidden_state)
        loss = (
            token_classification_loss(logits, labels.to(logits.device))
            if labels is not None
            else None
        )
        return self.finish(return_dict, base, loss=loss, logits=logits)


class CausalLMHead(LanguageModelingHead):
    """Next-token prediction; `logits_to_keep=n` computes logits for the last n positions."""

    head_input = "sequence"
    output_class = CausalLMOutputWithPast

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs: Any,
    ) -> Any:
        if labels is not None:
            kwargs.setdefault("use_cache", False)
        base = self.run_base(args, kwargs, {})
        hidden = base.last_hidden_state
        logits = self.lm_logits(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = causal_lm_loss(logits, labels.to(logits.device)) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)

    def _decode_forward(
        self,
        input_ids: torch.Tensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.Tensor | None,
        cache: Any,
    ) -> torch.Tensor:
        """One decoding step (see `GenerationMixin`; list this head before it in the bases).

        Embeddings with fairseq position numbering (`padding_offset_positions`: RoBERTa,
        XLM-R, ...) are given generation's positions counted from 0, as the reference's
        `generate` gives them (not the `pad_token_id + 1` numbering of a plain forward), so
        generated tokens are the reference's.
        """
        embeddings = getattr(self.base_model, "embeddings", None)
        if position_ids is None and getattr(embeddings, "padding_offset_positions", False):
            past = cache.get_seq_length() if cache is not None else 0
            length = input_ids.shape[1]
            position_ids = torch.arange(past, past + length, device=input_ids.device)
            position_ids = position_ids[None].expand(input_ids.shape[0], -1)
        return super()._decode_forward(  # type: ignore[misc]
            input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache
        )


class NextSentencePredictionHead(TaskHead):
    """Is text B the continuation of text A (label 0) or random (1)? From the pooled output.

    The plugin builds `cls` (its next-sentence layer) in `build_head`.
    """

    output_class = NextSentencePredictorOutput

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.cls(base.pooler_output)
        loss = F.cross_entropy(logits.view(-1, 2), labels.view(-1)) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


class MaskedLMAndNextSentenceHead(TaskHead):
    """BERT-style pre-training: masked LM over the sequence and next-sentence on the pooled
    output. The plugin builds `cls` (returning both logits) and names its `output_class`
    (fields `prediction_logits`, `seq_relationship_logits`)."""

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        prediction, relationship = self.cls(base.last_hidden_state, base.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = token_classification_loss(prediction, labels) + F.cross_entropy(
                relationship.view(-1, 2), next_sentence_label.view(-1)
            )
        return self.finish(
            return_dict,
            base,
            loss=loss,
            prediction_logits=prediction,
            seq_relationship_logits=relationship,
        )


class Seq2SeqLMHead(LanguageModelingHead):
    """The hook for encoder-decoder LM heads: the plugin's base returns `Seq2SeqModelOutput`.

    Subclasses set `output_class` to the seq2seq output and implement `forward` with the
    encoder/decoder inputs; `lm_logits` and the loss helpers are shared.
    """


# Last: the blocks package imports this module (its lean decoder mixes into `CausalLMHead`).
from tfx_core.modeling.torch.blocks.lean_model import lean_head_parts  # noqa: E402

__all__ = [
    "CausalLMHead",
    "ClassifierHead",
    "LanguageModelingHead",
    "MaskedLMAndNextSentenceHead",
    "MaskedLMHead",
    "MultipleChoiceHead",
    "NextSentencePredictionHead",
    "QuestionAnsweringHead",
    "Seq2SeqLMHead",
    "SequenceClassificationHead",
    "TaskHead",
    "TokenClassificationHead",
]
