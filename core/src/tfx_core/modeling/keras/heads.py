"""Generic task heads: an architecture's head class is its base model plus a few lines.

A head model holds the base model under `base_model_prefix` (`bert`, `roberta`, ...), calls it,
and adds the task layer with the reference's attribute names (`classifier`, `qa_outputs`, ...)
and loss. Architectures override `classify` (what a sequence classifier reads: the pooler output
by default) or `lm_logits` (the masked/causal LM projection) where theirs differ.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.base import TFPreTrainedModel, as_tensor, unpack_inputs
from tfx_core.modeling.keras.layers import dense, dropout
from tfx_core.modeling.keras.losses import (
    causal_lm_loss,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from tfx_core.modeling.outputs import (
    CausalLMOutputWithPast,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)


def init_std(config: Any) -> float:
    """The config's initializer scale, whatever its architecture calls it."""
    for name in ("initializer_range", "init_std", "initializer_factor"):
        value = getattr(config, name, None)
        if value is not None:
            return value
    return 0.02


def classifier_dropout(config: Any) -> float:
    for name in ("classifier_dropout", "hidden_dropout_prob", "seq_classif_dropout"):
        value = getattr(config, name, None)
        if value is not None:
            return value
    return 0.1


def span_outputs(logits: Any, start_positions: Any, end_positions: Any) -> dict[str, Any]:
    """`start_logits`, `end_logits` from `[..., 2]` logits, and the span loss when both
    positions are given: the fields every extractive-QA output shares."""
    start_logits, end_logits = tf.unstack(logits, num=2, axis=-1)
    loss = None
    if start_positions is not None and end_positions is not None:
        loss = span_loss(
            start_logits, end_logits, as_tensor(start_positions), as_tensor(end_positions)
        )
    return {"loss": loss, "start_logits": start_logits, "end_logits": end_logits}


class HeadModel(TFPreTrainedModel):
    """A base model (built from `base_model_class`) plus a task layer.

    Every head shares one `call`: the arguments named in `target_names` (labels, span
    positions) are taken out, `base_inputs` adjusts what the base model gets, `_run_base` runs
    it, and `head_outputs` gives the head's own fields of `output_class` (loss, logits, ...);
    `output_fields` adds the base model's (hidden states, attentions)."""

    base_model_class: ClassVar[type | None]  # None: the model is its own base
    base_model_kwargs: ClassVar[dict[str, Any]] = {}
    output_class: ClassVar[type]
    target_names: ClassVar[tuple[str, ...]] = ("labels",)

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        if self.base_model_class is not None:
            base = self.base_model_class(config, **self.base_model_kwargs)
            setattr(self, self.base_model_prefix, base)

    @property
    def base_model(self) -> Any:
        return getattr(self, self.base_model_prefix)

    def output_fields(self, base: Any) -> dict[str, Any]:
        """The base model's fields every output of this head carries."""
        return {"hidden_states": base.hidden_states, "attentions": base.attentions}

    def base_inputs(
        self, input_ids: Any, inputs: dict[str, Any], targets: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """`(input_ids, inputs)` for the base model (the caller's, unless a head derives some)."""
        return input_ids, inputs

    def head_outputs(
        self, base: Any, given: dict[str, Any], training: bool, **targets: Any
    ) -> dict[str, Any]:
        """The head's fields of `output_class` from the base model's output; `given` holds the
        caller's inputs (`input_ids` included) as passed."""
        raise NotImplementedError

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        targets = {name: inputs.pop(name, None) for name in self.target_names}
        given = {**inputs, "input_ids": input_ids}
        base_ids, base_inputs = self.base_inputs(input_ids, inputs, targets)
        base = self._run_base(
            base_ids, base_inputs, training, output_attentions, output_hidden_states
        )
        fields = self.head_outputs(base, given, training, **targets)
        out = self.output_class(**fields, **self.output_fields(base))
        return self._outputs(out, return_dict)

    def _run_base(
        self,
        input_ids: Any,
        inputs: dict[str, Any],
        training: bool,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
    ) -> Any:
        """Call the base model; `inputs` holds only tensors (Keras refuses mixed structures)."""
        return self.base_model(
            input_ids=input_ids,
            training=training,
            return_dict=True,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            **inputs,
        )


def _loss(loss_fn: Any, logits: Any, labels: Any, *args: Any) -> Any:
    return None if labels is None else loss_fn(logits, as_tensor(labels), *args)


class SequenceClassificationHead(HeadModel):
    """Classification or regression of a whole text: pool, dropout, `classifier`."""

    output_class: ClassVar[type] = SequenceClassifierOutput

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.num_labels = config.num_labels
        self.build_classifier(config)

    def build_classifier(self, config: Any) -> None:
        self.dropout = dropout(classifier_dropout(config))
        self.classifier = dense(config.hidden_size, config.num_labels, init_std(config))

    def classify(self, base: Any, input_ids: Any, training: bool) -> Any:
        pooled = base["pooler_output"]
        return self.classifier(self.dropout(pooled, training=training))

    def head_outputs(self, base, given, training, labels=None):
        logits = self.classify(base, given["input_ids"], training)
        loss = _loss(sequence_classification_loss, logits, labels, self.config)
        return {"loss": loss, "logits": logits}


class TokenClassificationHead(HeadModel):
    """One label per token: dropout, `classifier`; label -100 is ignored."""

    output_class: ClassVar[type] = TokenClassifierOutput

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.num_labels = config.num_labels
        self.dropout = dropout(classifier_dropout(config))
        self.classifier = dense(config.hidden_size, config.num_labels, init_std(config))

    def head_outputs(self, base, given, training, labels=None):
        logits = self.classifier(self.dropout(base["last_hidden_state"], training=training))
        return {"loss": _loss(token_classification_loss, logits, labels), "logits": logits}


class QuestionAnsweringHead(HeadModel):
    """Extractive QA: `qa_outputs` gives start and end logits for every token."""

    qa_dropout: ClassVar[bool] = False
    output_class: ClassVar[type] = QuestionAnsweringModelOutput
    target_names: ClassVar[tuple[str, ...]] = ("start_positions", "end_positions")

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.num_labels = config.num_labels
        if self.qa_dropout:
            self.dropout = dropout(getattr(config, "qa_dropout", 0.1))
        self.build_qa_outputs(config)

    def build_qa_outputs(self, config: Any) -> None:
        self.qa_outputs = dense(config.hidden_size, config.num_labels, init_std(config))

    def head_outputs(self, base, given, training, start_positions=None, end_positions=None):
        hidden = base["last_hidden_state"]
        if self.qa_dropout:
            hidden = self.dropout(hidden, training=training)
        return span_outputs(self.qa_outputs(hidden), start_positions, end_positions)


class MultipleChoiceHead(SequenceClassificationHead):
    """Scores each of `num_choices` inputs (`[batch, num_choices, length]`) with one logit."""

    output_class: ClassVar[type] = MultipleChoiceModelOutput

    def build_classifier(self, config: Any) -> None:
        self.dropout = dropout(classifier_dropout(config))
        self.classifier = dense(config.hidden_size, 1, init_std(config))

    @staticmethod
    def _choices(given: dict[str, Any]) -> Any:
        reference = given["input_ids"]
        reference = reference if reference is not None else given.get("inputs_embeds")
        return None if reference is None or len(reference.shape) < 3 else reference.shape[1]

    def base_inputs(self, input_ids, inputs, targets):
        """Choices flattened into the batch: `[batch * num_choices, ...]`."""
        if self._choices({**inputs, "input_ids": input_ids}) is None:
            raise ConfigError(
                f"{type(self).__name__} takes inputs shaped [batch, num_choices, length]."
            )

        def flat(value: Any) -> Any:
            if value is None or not hasattr(value, "shape") or len(value.shape) < 2:
                return value
            value = as_tensor(value)
            keep = 2 if value.dtype.is_floating and len(value.shape) == 4 else 1
            return tf.reshape(value, (-1, *value.shape[-keep:]))

        return flat(as_tensor(input_ids)), {key: flat(value) for key, value in inputs.items()}

    def head_outputs(self, base, given, training, labels=None):
        logits = self.classify(base, given["input_ids"], training)
        logits = tf.reshape(logits, (-1, self._choices(given)))
        return {"loss": _loss(token_classification_loss, logits, labels), "logits": logits}


class MaskedLMHead(HeadModel):
    """Token prediction over the vocabulary; architectures build the projection and
    implement `lm_logits(hidden)`. `lm_loss` and `output_class` are what the causal head changes."""

    lm_loss = staticmethod(token_classification_loss)
    output_class: Any = MaskedLMOutput

    def lm_logits(self, hidden: Any) -> Any:
        raise NotImplementedError

    def lm_inputs(self, inputs: dict[str, Any], labels: Any) -> dict[str, Any]:
        """The base model's inputs (a seq2seq head derives decoder inputs from `labels`)."""
        return inputs

    def base_inputs(self, input_ids, inputs, targets):
        return input_ids, self.lm_inputs(inputs, targets["labels"])

    def head_outputs(self, base, given, training, labels=None):
        logits = self.lm_logits(base["last_hidden_state"])
        return {"loss": _loss(self.lm_loss, logits, labels), "logits": logits}


class CausalLMHead(MaskedLMHead):
    """Left-to-right language modelling: the loss predicts token i + 1 from position i."""

    lm_loss = staticmethod(causal_lm_loss)
    output_class = CausalLMOutputWithPast
