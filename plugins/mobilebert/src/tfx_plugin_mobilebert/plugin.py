"""Entry module of tfx-plugin-mobilebert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_mobilebert.configuration_mobilebert:MobileBertConfig"
_MODELING = "tfx_plugin_mobilebert.modeling_mobilebert"
# MobileBERT checkpoints ship BERT's WordPiece vocab.txt: the core's converter reads it.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "MobileBertModel",
    "masked-lm": "MobileBertForMaskedLM",
    "sequence-classification": "MobileBertForSequenceClassification",
    "token-classification": "MobileBertForTokenClassification",
    "question-answering": "MobileBertForQuestionAnswering",
    "multiple-choice": "MobileBertForMultipleChoice",
    "next-sentence-prediction": "MobileBertForNextSentencePrediction",
    "pretraining": "MobileBertForPreTraining",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="mobilebert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="MobileBERT encoder (bottlenecked thin BERT: google/mobilebert-uncased, ...)",
        )
    ]
