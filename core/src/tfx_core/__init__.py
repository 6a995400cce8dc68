"""tfx: pretrained transformer models as plugins, Hugging Face Hub compatible.

    from tfx_core import AutoTokenizer, AutoModel
    tokenizer = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    model = AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")

Public names are resolved lazily (PEP 562): `import tfx_core` imports no framework and no plugin;
the first use of a name imports only the module that defines it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from tfx_core import reference_names as _reference_names
from tfx_core.tokenization.class_names import NAMES as _TOKENIZER_CLASS_NAMES

_EXPORTS: dict[str, str] = {
    # configuration and errors
    "PretrainedConfig": "tfx_core.config",
    "TfxError": "tfx_core.errors",
    # auto classes
    "AutoConfig": "tfx_core.auto",
    "AutoTokenizer": "tfx_core.auto",
    "AutoModel": "tfx_core.auto",
    "AutoModelForMaskedLM": "tfx_core.auto",
    "AutoModelForCausalLM": "tfx_core.auto",
    "AutoModelForSeq2SeqLM": "tfx_core.auto",
    "AutoModelForSpeechSeq2Seq": "tfx_core.auto",
    "AutoModelForSequenceClassification": "tfx_core.auto",
    "AutoModelForTokenClassification": "tfx_core.auto",
    "AutoModelForQuestionAnswering": "tfx_core.auto",
    "AutoModelForMultipleChoice": "tfx_core.auto",
    "AutoModelForNextSentencePrediction": "tfx_core.auto",
    "AutoModelForPreTraining": "tfx_core.auto",
    "AutoModelForVision2Seq": "tfx_core.auto",
    "AutoModelForImageClassification": "tfx_core.auto",
    "AutoModelForMaskedImageModeling": "tfx_core.auto",
    "AutoModelForZeroShotImageClassification": "tfx_core.auto",
    "AutoModelForCTC": "tfx_core.auto",
    "AutoModelForAudioClassification": "tfx_core.auto",
    "AutoModelForAudioFrameClassification": "tfx_core.auto",
    "AutoModelForAudioXVector": "tfx_core.auto",
    # composite encoder-decoder (any encoder + any decoder with cross-attention)
    "EncoderDecoderConfig": "tfx_core.encoder_decoder_config",
    "EncoderDecoderModel": "tfx_core.modeling.torch.encoder_decoder",
    "VisionEncoderDecoderConfig": "tfx_core.vision_encoder_decoder_config",
    "VisionEncoderDecoderModel": "tfx_core.modeling.torch.vision_encoder_decoder",
    # image and audio processing
    "AutoImageProcessor": "tfx_core.processing",
    "AutoFeatureExtractor": "tfx_core.processing",
    "AutoProcessor": "tfx_core.processing",
    "BatchFeature": "tfx_core.processing",
    # Flax auto classes (importing one imports JAX)
    "FlaxAutoModel": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForMaskedLM": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForCausalLM": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForSeq2SeqLM": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForSequenceClassification": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForTokenClassification": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForQuestionAnswering": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForMultipleChoice": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForNextSentencePrediction": "tfx_core.modeling.flax.auto",
    "FlaxAutoModelForPreTraining": "tfx_core.modeling.flax.auto",
    # TensorFlow auto classes (importing one imports TensorFlow and Keras)
    "TFAutoModel": "tfx_core.modeling.keras.auto",
    "TFAutoModelForMaskedLM": "tfx_core.modeling.keras.auto",
    "TFAutoModelForCausalLM": "tfx_core.modeling.keras.auto",
    "TFAutoModelForSeq2SeqLM": "tfx_core.modeling.keras.auto",
    "TFAutoModelForSequenceClassification": "tfx_core.modeling.keras.auto",
    "TFAutoModelForTokenClassification": "tfx_core.modeling.keras.auto",
    "TFAutoModelForQuestionAnswering": "tfx_core.modeling.keras.auto",
    "TFAutoModelForMultipleChoice": "tfx_core.modeling.keras.auto",
    "TFAutoModelForNextSentencePrediction": "tfx_core.modeling.keras.auto",
    "TFAutoModelForPreTraining": "tfx_core.modeling.keras.auto",
    # tokenization
    "Tokenizer": "tfx_core.tokenization",
    "BatchEncoding": "tfx_core.tokenization",
    "get_json_schema": "tfx_core.tokenization.tool_schema",
    # generation
    "GenerationConfig": "tfx_core.generation",
    "TextStreamer": "tfx_core.generation",
    "TextIteratorStreamer": "tfx_core.generation",
    # pipelines
    "pipeline": "tfx_core.pipelines",
    "Pipeline": "tfx_core.pipelines",
    # plugins
    "ArchitectureSpec": "tfx_core.plugins",
    "HeadSpec": "tfx_core.plugins",
    "TaskSpec": "tfx_core.plugins",
    "TokenizerConverterSpec": "tfx_core.plugins",
    "hookimpl": "tfx_core.plugins",
    "get_registry": "tfx_core.plugins",
    "register_plugin": "tfx_core.plugins",
    # training (PyTorch; TrainingArguments imports no framework)
    "TrainingArguments": "tfx_core.training.arguments",
    "Seq2SeqTrainingArguments": "tfx_core.training",
    "Trainer": "tfx_core.training",
    "Seq2SeqTrainer": "tfx_core.training",
    "TrainerCallback": "tfx_core.training",
    "EarlyStoppingCallback": "tfx_core.training",
    "EvalPrediction": "tfx_core.training",
    "DataCollatorWithPadding": "tfx_core.training",
    "DataCollatorForLanguageModeling": "tfx_core.training",
    "DataCollatorForTokenClassification": "tfx_core.training",
    "DataCollatorForSeq2Seq": "tfx_core.training",
    "DataCollatorForWholeWordMask": "tfx_core.training",
    "DataCollatorForMultipleChoice": "tfx_core.training",
    "DataCollatorForPermutationLanguageModeling": "tfx_core.training",
    "Adafactor": "tfx_core.training",
    "default_data_collator": "tfx_core.training",
    "set_seed": "tfx_core.training",
}
# The reference's tokenizer class names (BertTokenizerFast, PreTrainedTokenizerFast, ...).
_EXPORTS.update(dict.fromkeys(_TOKENIZER_CLASS_NAMES, "tfx_core.tokenization.classes"))
# The reference's top-level generation, pipeline and utility names.
_EXPORTS.update(dict.fromkeys(_reference_names.GENERATION, "tfx_core.generation"))
_EXPORTS.update(dict.fromkeys(_reference_names.PIPELINES, "tfx_core.pipelines"))
_EXPORTS.update(_reference_names.UTILITIES)

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tfx_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # static analysers see the real names
    from tfx_core.auto import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForMaskedLM,
        AutoModelForMultipleChoice,
        AutoModelForNextSentencePrediction,
        AutoModelForPreTraining,
        AutoModelForQuestionAnswering,
        AutoModelForSeq2SeqLM,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )
    from tfx_core.config import PretrainedConfig
    from tfx_core.errors import TfxError
    from tfx_core.generation import GenerationConfig, TextIteratorStreamer, TextStreamer
    from tfx_core.modeling.flax.auto import (
        FlaxAutoModel,
        FlaxAutoModelForCausalLM,
        FlaxAutoModelForMaskedLM,
        FlaxAutoModelForMultipleChoice,
        FlaxAutoModelForNextSentencePrediction,
        FlaxAutoModelForPreTraining,
        FlaxAutoModelForQuestionAnswering,
        FlaxAutoModelForSeq2SeqLM,
        FlaxAutoModelForSequenceClassification,
        FlaxAutoModelForTokenClassification,
    )
    from tfx_core.modeling.keras.auto import (
        TFAutoModel,
        TFAutoModelForCausalLM,
        TFAutoModelForMaskedLM,
        TFAutoModelForMultipleChoice,
        TFAutoModelForNextSentencePrediction,
        TFAutoModelForPreTraining,
        TFAutoModelForQuestionAnswering,
        TFAutoModelForSeq2SeqLM,
        TFAutoModelForSequenceClassification,
        TFAutoModelForTokenClassification,
    )
    from tfx_core.pipelines import Pipeline, pipeline
    from tfx_core.plugins import (
        ArchitectureSpec,
        HeadSpec,
        TaskSpec,
        TokenizerConverterSpec,
        get_registry,
        hookimpl,
        register_plugin,
    )
    from tfx_core.tokenization import BatchEncoding, Tokenizer
    from tfx_core.tokenization.tool_schema import get_json_schema
    from tfx_core.training import (
        Adafactor,
        DataCollatorForLanguageModeling,
        DataCollatorForMultipleChoice,
        DataCollatorForPermutationLanguageModeling,
        DataCollatorForSeq2Seq,
        DataCollatorForTokenClassification,
        DataCollatorForWholeWordMask,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        EvalPrediction,
        Seq2SeqTrainer,
        Seq2SeqTrainingArguments,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        default_data_collator,
        set_seed,
    )
