"""Typed model outputs with attribute, key and index access, like the reference's.

Fields left at None are absent from the mapping and from `to_tuple()`, so `outputs[0]` is the
first field that was actually produced (e.g. `logits` when no loss was computed).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import MISSING, dataclass, fields
from typing import Any


class ModelOutput(dict):
    """Base of every output dataclass: a dict of the non-None fields, in declaration order.

    Subclasses are `@dataclass(repr=False, eq=False)` with every field defaulting to None.
    The generated `__init__` assigns each field through `__setattr__` below, which also
    records the non-None ones as dict items, so there is no second pass over the fields.
    """

    def __getitem__(self, key: str | int | slice) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return dict.__getitem__(self, key)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if value is not None:
            dict.__setitem__(self, name, value)
        elif name in self:
            dict.__delitem__(self, name)

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    @classmethod
    def of(cls, values: dict[str, Any]) -> ModelOutput:
        """`cls(**values)`, built without a `__setattr__` call per field (the same object).

        Models build an output on every forward; for a small model the dataclass `__init__`
        is a visible part of the call.
        """
        layout = None if _compiling() else _layout(cls)
        if layout is None or not values.keys() <= layout[1].keys():
            return cls(**values)  # (a class with other defaults; the error for an unknown name)
        names, defaults = layout
        out = dict.__new__(cls)
        attributes = out.__dict__
        attributes.update(defaults)
        attributes.update(values)
        dict.update(out, {n: attributes[n] for n in names if attributes[n] is not None})
        return out

    def to_tuple(self) -> tuple[Any, ...]:
        """The non-None fields in order (what `return_dict=False` returns)."""
        return tuple(self.values())

    def __repr__(self) -> str:
        items = ", ".join(f"{key}={value!r}" for key, value in self.items())
        return f"{type(self).__name__}({items})"

    def __reduce__(self):  # pickle as the dataclass, not as a plain dict
        return (type(self), tuple(getattr(self, f.name) for f in fields(self)))


def _compiling() -> bool:
    """`torch.compiler.is_compiling()` (torch is not imported here: Flax models share this).

    Dynamo traces the dataclass `__init__` but not `dataclasses.fields` of a class, so a
    compiled forward builds its outputs the plain way (the same object)."""
    torch = sys.modules.get("torch")
    return torch is not None and torch.compiler.is_compiling()


@functools.cache
def _layout(cls: type[ModelOutput]) -> tuple[tuple[str, ...], dict[str, None]] | None:
    """The field names and their (None) defaults; None when `ModelOutput.of` cannot build
    `cls` itself (a field with another default, a `__post_init__`)."""
    declared = fields(cls)
    if hasattr(cls, "__post_init__") or any(
        f.default is not None or f.default_factory is not MISSING for f in declared
    ):
        return None
    names = tuple(f.name for f in declared)
    return names, dict.fromkeys(names)


@dataclass(repr=False, eq=False)
class BaseModelOutput(ModelOutput):
    last_hidden_state: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class BaseModelOutputWithPooling(ModelOutput):
    last_hidden_state: Any = None
    pooler_output: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class BaseModelOutputWithPast(ModelOutput):
    last_hidden_state: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class BaseModelOutputWithPoolingAndPast(ModelOutput):
    last_hidden_state: Any = None
    pooler_output: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None
    cross_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class MaskedLMOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class CausalLMOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class CausalLMOutputWithPast(ModelOutput):
    loss: Any = None
    logits: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class SequenceClassifierOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class SequenceClassifierOutputWithPast(ModelOutput):
    loss: Any = None
    logits: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class TokenClassifierOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class QuestionAnsweringModelOutput(ModelOutput):
    loss: Any = None
    start_logits: Any = None
    end_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class MultipleChoiceModelOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class NextSentencePredictorOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class MaskedLMAndNextSentenceOutput(ModelOutput):
    """BERT-style pre-training: masked-LM and next-sentence logits (a plugin subclasses it
    under the reference's name, e.g. `BertForPreTrainingOutput`)."""

    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ------------------------------------------------------------------ decoders and seq2seq
@dataclass(repr=False, eq=False)
class BaseModelOutputWithPastAndCrossAttentions(ModelOutput):
    last_hidden_state: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None
    cross_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class CausalLMOutputWithCrossAttentions(ModelOutput):
    loss: Any = None
    logits: Any = None
    past_key_values: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None
    cross_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Seq2SeqModelOutput(ModelOutput):
    last_hidden_state: Any = None
    past_key_values: Any = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: Any = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Seq2SeqLMOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    past_key_values: Any = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: Any = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Seq2SeqSequenceClassifierOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    past_key_values: Any = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: Any = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Seq2SeqQuestionAnsweringModelOutput(ModelOutput):
    loss: Any = None
    start_logits: Any = None
    end_logits: Any = None
    past_key_values: Any = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: Any = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None
