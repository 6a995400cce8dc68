"""`FlaxAutoModel...`: the auto classes, resolving each head's Flax implementation."""

from __future__ import annotations

from tfx_core import auto
from tfx_core.modeling.framework_common import FrameworkAuto


class _FlaxAuto(FrameworkAuto):
    framework = "flax"


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
