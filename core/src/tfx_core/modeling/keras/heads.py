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
    """A base model (built from `base_model_class`) plus a task layer."""

    base_model_class: ClassVar[type]
    base_model_kwargs: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        setattr(
            self, self.base_model_prefix, self.base_model_class(config, **self.base_model_kwargs)
        )

    @property
    def base_model(self) -> Any:
        return getattr(self, self.base_model_prefix)

    def output_fields(self, base: Any) -> dict[str, Any]:
        """The base model's fields every output of this head carries."""
        return {"hidden_states": base.hidden_states, "attentions": base.attentions}

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

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        labels: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        base = self._run_base(input_ids, inputs, training, output_attentions, output_hidden_states)
        logits = self.classify(base, input_ids, training)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, as_tensor(labels), self.config)
        out = self.output_class(loss=loss, logits=logits, **self.output_fields(base))
        return self._outputs(out, return_dict)


class TokenClassificationHead(HeadModel):
    """One label per token: dropout, `classifier`; label -100 is ignored."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.num_labels = config.num_labels
        self.dropout = dropout(classifier_dropout(config))
        self.classifier = dense(config.hidden_size, config.num_labels, init_std(config))

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        labels: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        base = self._run_base(input_ids, inputs, training, output_attentions, output_hidden_states)
        logits = self.classifier(self.dropout(base["last_hidden_state"], training=training))
        loss = token_classification_loss(logits, as_tensor(labels)) if labels is not None else None
        out = TokenClassifierOutput(loss=loss, logits=logits, **self.output_fields(base))
        return self._outputs(out, return_dict)


class QuestionAnsweringHead(HeadModel):
    """Extractive QA: `qa_outputs` gives start and end logits for every token."""

    qa_dropout: ClassVar[bool] = False
    output_class: ClassVar[type] = QuestionAnsweringModelOutput

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.num_labels = config.num_labels
        if self.qa_dropout:
            self.dropout = dropout(getattr(config, "qa_dropout", 0.1))
        self.build_qa_outputs(config)

    def build_qa_outputs(self, config: Any) -> None:
        self.qa_outputs = dense(config.hidden_size, config.num_labels, init_std(config))

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        start_positions: Any = None,
        end_positions: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        base = self._run_base(input_ids, inputs, training, output_attentions, output_hidden_states)
        hidden = base["last_hidden_state"]
        if self.qa_dropout:
            hidden = self.dropout(hidden, training=training)
        out = self.output_class(
            **span_outputs(self.qa_outputs(hidden), start_positions, end_positions),
            **self.output_fields(base),
        )
        return self._outputs(out, return_dict)


class MultipleChoiceHead(SequenceClassificationHead):
    """Scores each of `num_choices` inputs (`[batch, num_choices, length]`) with one logit."""

    def build_classifier(self, config: Any) -> None:
        self.dropout = dropout(classifier_dropout(config))
        self.classifier = dense(config.hidden_size, 1, init_std(config))

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        labels: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        reference = input_ids if input_ids is not None else inputs.get("inputs_embeds")
        if reference is None or len(reference.shape) < 3:
            raise ConfigError(
                f"{type(self).__name__} takes inputs shaped [batch, num_choices, length]."
            )
        num_choices = reference.shape[1]

        def flat(value: Any) -> Any:
            if value is None or not hasattr(value, "shape") or len(value.shape) < 2:
                return value
            value = as_tensor(value)
            keep = 2 if value.dtype.is_floating and len(value.shape) == 4 else 1
            return tf.reshape(value, (-1, *value.shape[-keep:]))

        flat_inputs = {key: flat(value) for key, value in inputs.items()}
        base = self._run_base(
            flat(as_tensor(input_ids)),
            flat_inputs,
            training,
            output_attentions,
            output_hidden_states,
        )
        logits = tf.reshape(self.classify(base, input_ids, training), (-1, num_choices))
        loss = token_classification_loss(logits, as_tensor(labels)) if labels is not None else None
        out = MultipleChoiceModelOutput(loss=loss, logits=logits, **self.output_fields(base))
        return self._outputs(out, return_dict)


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

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        labels: Any = None,
        return_dict: Any = None,
        training: bool = False,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        **inputs: Any,
    ) -> Any:
        inputs = self.lm_inputs(inputs, labels)
        base = self._run_base(input_ids, inputs, training, output_attentions, output_hidden_states)
        logits = self.lm_logits(base["last_hidden_state"])
        loss = self.lm_loss(logits, as_tensor(labels)) if labels is not None else None
        out = self.output_class(loss=loss, logits=logits, **self.output_fields(base))
        return self._outputs(out, return_dict)


class CausalLMHead(MaskedLMHead):
    """Left-to-right language modelling: the loss predicts token i + 1 from position i."""

    lm_loss = staticmethod(causal_lm_loss)
    output_class = CausalLMOutputWithPast
