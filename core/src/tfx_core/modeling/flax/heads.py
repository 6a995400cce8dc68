"""Generic task heads for the Flax models, mirroring `tfx_core.modeling.torch.heads`.

A plugin's head is a few lines:

```python
class FlaxBertForSequenceClassification(SequenceClassificationHead, FlaxBertPreTrainedModel):
    base_model_class = FlaxBertModel        # built at `base_model_prefix` ("bert")
    head_input = "pooled"                   # or "first_token", "last_token", "sequence"
```

Class attributes mean what they mean on the PyTorch side (`head_input`,
`classifier_attribute`, `classifier_bias`, `classifier_outputs`, `dropout_fields`,
`base_model_kwargs`; override `build_head(config, dtype, rngs)` / `head_features(x)`), and the
layers carry the same names, so one checkpoint serves both frameworks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.layers import dense, dropout
from tfx_core.modeling.flax.losses import (
    causal_lm_loss,
    cross_entropy,
    last_token_index,
    sequence_classification_loss,
    span_loss,
)
from tfx_core.modeling.outputs import (
    CausalLMOutputWithPast,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)

Array = jax.Array
_HEAD_INPUTS = ("pooled", "first_token", "last_token", "sequence")
_CARRIED = ("past_key_values", "hidden_states", "attentions", "cross_attentions")


def finish(output: ModelOutput, return_dict: bool | None, config: Any) -> Any:
    """The output object, or its tuple when `return_dict=False` (config default otherwise)."""
    return_dict = getattr(config, "return_dict", True) if return_dict is None else return_dict
    return output if return_dict else output.to_tuple()


class TaskHead:
    """Shared machinery of the generic heads (mixed in before a `FlaxPreTrainedModel`)."""

    base_model_class: ClassVar[type]
    base_model_kwargs: ClassVar[dict[str, Any]] = {}
    head_input: ClassVar[str] = "sequence"
    dropout_fields: ClassVar[tuple[str, ...] | None] = ("classifier_dropout", "hidden_dropout_prob")
    default_dropout: ClassVar[float] = 0.1
    output_class: ClassVar[type[ModelOutput]]

    def __init__(self, config: Any, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype)  # type: ignore[call-arg]
        if self.head_input not in _HEAD_INPUTS:
            raise ConfigError(
                f"{type(self).__name__}.head_input is {self.head_input!r}; "
                f"use one of {', '.join(_HEAD_INPUTS)}."
            )
        base = self.base_model_class(config, dtype=dtype, rngs=rngs, **self.base_model_kwargs)
        setattr(self, self.base_model_prefix, base)
        self.build_head(config, dtype, rngs)

    def build_head(self, config: Any, dtype: Any, rngs: nnx.Rngs) -> None:
        """Create the head's layers (override to change them)."""

    def head_dropout(self, config: Any, rngs: nnx.Rngs) -> nnx.Dropout | None:
        if self.dropout_fields is None:
            return None
        for field in self.dropout_fields:
            value = getattr(config, field, None)
            if value is not None:
                return dropout(value, rngs)
        return dropout(self.default_dropout, rngs)

    def run_base(self, kwargs: dict[str, Any]) -> ModelOutput:
        return getattr(self, self.base_model_prefix)(**kwargs, return_dict=True)

    def select(self, base: ModelOutput, kwargs: dict[str, Any]) -> Array:
        hidden = base.last_hidden_state
        if self.head_input == "pooled":
            return base.pooler_output
        if self.head_input == "first_token":
            return hidden[:, 0]
        if self.head_input == "last_token":
            batch, length = hidden.shape[:2]
            index = last_token_index(
                kwargs.get("input_ids"), length, batch, self.config.pad_token_id
            )
            return hidden[jnp.arange(batch), index]
        return hidden

    def dropped(self, features: Array) -> Array:
        layer = getattr(self, "dropout", None)
        return layer(features) if layer is not None else features

    def head_features(self, features: Array) -> Array:
        return features

    def finish(self, return_dict: bool | None, base: ModelOutput, **fields: Any) -> Any:
        for name in _CARRIED:
            if name in self.output_class.__dataclass_fields__ and name not in fields:
                fields[name] = getattr(base, name, None)
        return finish(self.output_class(**fields), return_dict, self.config)


class ClassifierHead(TaskHead):
    """A dropout and a linear classifier (`classifier_attribute`) over the selected features."""

    classifier_attribute: ClassVar[str] = "classifier"
    classifier_bias: ClassVar[bool] = True
    classifier_outputs: ClassVar[int | None] = None

    def build_head(self, config: Any, dtype: Any, rngs: nnx.Rngs) -> None:
        self.num_labels = config.num_labels
        layer = self.head_dropout(config, rngs)
        if layer is not None:
            self.dropout = layer
        outputs = self.classifier_outputs or config.num_labels
        setattr(
            self, self.classifier_attribute, self.build_classifier(config, outputs, dtype, rngs)
        )

    def build_classifier(self, config: Any, outputs: int, dtype: Any, rngs: nnx.Rngs) -> Any:
        std = float(getattr(config, "initializer_range", 0.02))
        return dense(
            config.hidden_size,
            outputs,
            std=std,
            use_bias=self.classifier_bias,
            dtype=dtype,
            rngs=rngs,
        )

    def classify(self, features: Array) -> Array:
        classifier = getattr(self, self.classifier_attribute)
        return classifier(self.dropped(self.head_features(features)))


class SequenceClassificationHead(ClassifierHead):
    head_input: ClassVar[str] = "pooled"

    @property
    def output_class(self) -> type[ModelOutput]:  # type: ignore[override]
        if self.head_input == "last_token":
            return SequenceClassifierOutputWithPast
        return SequenceClassifierOutput

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        base = self.run_base(kwargs)
        logits = self.classify(self.select(base, kwargs))
        loss = (
            sequence_classification_loss(logits, labels, self.config)
            if labels is not None
            else None
        )
        return self.finish(return_dict, base, loss=loss, logits=logits)


class TokenClassificationHead(ClassifierHead):
    output_class = TokenClassifierOutput

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        base = self.run_base(kwargs)
        logits = self.classify(base.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


def span_outputs(logits: Array, start_positions: Any, end_positions: Any) -> dict[str, Any]:
    """`start_logits`, `end_logits` from `[..., 2]` logits, and the span loss when both
    positions are given: the fields every extractive-QA output shares."""
    start, end = logits[..., 0], logits[..., 1]
    loss = None
    if start_positions is not None and end_positions is not None:
        loss = span_loss(start, end, start_positions, end_positions)
    return {"loss": loss, "start_logits": start, "end_logits": end}


class QuestionAnsweringHead(ClassifierHead):
    classifier_attribute = "qa_outputs"
    dropout_fields = None
    output_class = QuestionAnsweringModelOutput

    def __call__(
        self,
        start_positions: Any = None,
        end_positions: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(kwargs)
        logits = self.classify(base.last_hidden_state)
        return self.finish(
            return_dict, base, **span_outputs(logits, start_positions, end_positions)
        )


class MultipleChoiceHead(ClassifierHead):
    """Scores each of `num_choices` candidates; inputs are `[batch, num_choices, length]`."""

    head_input: ClassVar[str] = "pooled"
    classifier_outputs = 1
    output_class = MultipleChoiceModelOutput

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        reference = kwargs.get("input_ids")
        if reference is None or jnp.ndim(reference) < 3:
            raise ConfigError(
                f"{type(self).__name__} takes inputs shaped [batch, num_choices, length]."
            )
        num_choices = jnp.shape(reference)[1]
        flat = {
            name: None if value is None else jnp.asarray(value).reshape(-1, jnp.shape(value)[-1])
            for name, value in kwargs.items()
            if name in ("input_ids", "attention_mask", "token_type_ids", "position_ids")
        }
        rest = {name: value for name, value in kwargs.items() if name not in flat}
        flat.update(rest)
        base = self.run_base(flat)
        logits = self.classify(self.select(base, flat)).reshape(-1, num_choices)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


class LanguageModelingHead(TaskHead):
    """Masked- or causal-LM: the plugin builds its vocabulary head and defines `lm_logits`."""

    dropout_fields = None

    def lm_logits(self, hidden: Array) -> Array:
        raise NotImplementedError


class MaskedLMHead(LanguageModelingHead):
    output_class = MaskedLMOutput

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        base = self.run_base(kwargs)
        logits = self.lm_logits(base.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


class CausalLMHead(LanguageModelingHead):
    """Next-token prediction; `logits_to_keep=n` computes logits for the last n positions."""

    output_class = CausalLMOutputWithPast

    def __call__(
        self,
        labels: Any = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(kwargs)
        hidden = base.last_hidden_state
        logits = self.lm_logits(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


__all__ = [
    "CausalLMHead",
    "ClassifierHead",
    "LanguageModelingHead",
    "MaskedLMHead",
    "MultipleChoiceHead",
    "QuestionAnsweringHead",
    "SequenceClassificationHead",
    "TaskHead",
    "TokenClassificationHead",
]
