"""`TFAutoModel...`: the auto classes, resolving each head's TensorFlow (`"tf"`) implementation."""

from __future__ import annotations

from tfx_core import auto
from tfx_core.modeling.framework_common import FrameworkAuto


class _TFAuto(FrameworkAuto):
    framework = "tf"


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
