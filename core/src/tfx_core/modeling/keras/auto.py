"""`TFAutoModel...`: the auto classes, resolving each head's TensorFlow (`"tf"`) implementation."""

from __future__ import annotations

from typing import Any

from tfx_core import auto
from tfx_core.config import PretrainedConfig


class _TFAuto:
    """Mixin: pick the head's `"tf"` implementation whatever `framework=` says."""

    head: str

    @classmethod
    def model_class_for(cls, config: PretrainedConfig, framework: str = "tf") -> type:
        return auto.resolve_model_class(config, cls.head, "tf")

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> Any:
        kwargs.pop("framework", None)
        return cls.model_class_for(config).from_config(config, **kwargs)


class TFAutoModel(_TFAuto, auto.AutoModel):
    pass


class TFAutoModelForMaskedLM(_TFAuto, auto.AutoModelForMaskedLM):
    pass


class TFAutoModelForCausalLM(_TFAuto, auto.AutoModelForCausalLM):
    pass


class TFAutoModelForSeq2SeqLM(_TFAuto, auto.AutoModelForSeq2SeqLM):
    pass


class TFAutoModelForSequenceClassification(_TFAuto, auto.AutoModelForSequenceClassification):
    pass


class TFAutoModelForTokenClassification(_TFAuto, auto.AutoModelForTokenClassification):
    pass


class TFAutoModelForQuestionAnswering(_TFAuto, auto.AutoModelForQuestionAnswering):
    pass


class TFAutoModelForMultipleChoice(_TFAuto, auto.AutoModelForMultipleChoice):
    pass


class TFAutoModelForNextSentencePrediction(_TFAuto, auto.AutoModelForNextSentencePrediction):
    pass


class TFAutoModelForPreTraining(_TFAuto, auto.AutoModelForPreTraining):
    pass
