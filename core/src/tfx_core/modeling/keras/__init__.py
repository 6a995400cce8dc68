"""TensorFlow models on Keras 3: the base class, the weight adapter, blocks and generic heads.

Importing this package imports Keras on the TensorFlow backend: `KERAS_BACKEND` is set to
"tensorflow" only if the user has not set it (see `backend.py`). `import tfx_core` never
imports it.
"""

from tfx_core.modeling.keras.adapter import WeightSlot, named_weights
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import (
    TFPreTrainedModel,
    as_tensor,
    dtype_policy,
    resolve_dtype,
    unpack_inputs,
)
from tfx_core.modeling.keras.heads import (
    CausalLMHead,
    HeadModel,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)

__all__ = [
    "CausalLMHead",
    "HeadModel",
    "MaskedLMHead",
    "MultipleChoiceHead",
    "QuestionAnsweringHead",
    "SequenceClassificationHead",
    "TFPreTrainedModel",
    "TokenClassificationHead",
    "WeightSlot",
    "as_tensor",
    "dtype_policy",
    "keras",
    "named_weights",
    "resolve_dtype",
    "tf",
    "unpack_inputs",
]
