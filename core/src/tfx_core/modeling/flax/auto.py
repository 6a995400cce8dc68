"""`FlaxAutoModel...`: the auto classes, resolving each head's Flax implementation."""

from __future__ import annotations

from typing import Any

from tfx_core import auto
from tfx_core.config import PretrainedConfig


class _FlaxAuto:
    """Mixin: pick the head's `"flax"` implementation whatever `framework=` says."""

    head: str

    @classmethod
    def model_class_for(cls, config: PretrainedConfig, framework: str = "flax") -> type:
        return auto.resolve_model_class(config, cls.head, "flax")

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> Any:
        kwargs.pop("framework", None)
        return cls.model_class_for(config).from_config(config, **kwargs)


class FlaxAutoModel(_FlaxAuto, auto.AutoModel):
    pass


class FlaxAutoModelForMaskedLM(_FlaxAuto, auto.AutoModelForMaskedLM):
    pass


class FlaxAutoModelForCausalLM(_FlaxAuto, auto.AutoModelForCausalLM):
    pass


class FlaxAutoModelForSeq2SeqLM(_FlaxAuto, auto.AutoModelForSeq2SeqLM):
    pass


class FlaxAutoModelForSequenceClassification(_FlaxAuto, auto.AutoModelForSequenceClassification):
    pass


class FlaxAutoModelForTokenClassification(_FlaxAuto, auto.AutoModelForTokenClassification):
    pass


class FlaxAutoModelForQuestionAnswering(_FlaxAuto, auto.AutoModelForQuestionAnswering):
    pass


class FlaxAutoModelForMultipleChoice(_FlaxAuto, auto.AutoModelForMultipleChoice):
    pass


class FlaxAutoModelForNextSentencePrediction(_FlaxAuto, auto.AutoModelForNextSentencePrediction):
    pass


class FlaxAutoModelForPreTraining(_FlaxAuto, auto.AutoModelForPreTraining):
    pass


FLAX_AUTO_MODEL_CLASSES: dict[str, type] = {
    cls.head: cls
    for cls in (
        FlaxAutoModel,
        FlaxAutoModelForMaskedLM,
        FlaxAutoModelForCausalLM,
        FlaxAutoModelForSeq2SeqLM,
        FlaxAutoModelForSequenceClassification,
        FlaxAutoModelForTokenClassification,
        FlaxAutoModelForQuestionAnswering,
        FlaxAutoModelForMultipleChoice,
        FlaxAutoModelForNextSentencePrediction,
        FlaxAutoModelForPreTraining,
    )
}
