"""Entry module of tfx-plugin-albert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_albert.configuration_albert:AlbertConfig"
_MODELING = "tfx_plugin_albert.modeling_albert"
# ALBERT's SentencePiece `spiece.model` becomes a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_albert"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "AlbertModel",
    "pretraining": "AlbertForPreTraining",
    "masked-lm": "AlbertForMaskedLM",
    "sequence-classification": "AlbertForSequenceClassification",
    "token-classification": "AlbertForTokenClassification",
    "question-answering": "AlbertForQuestionAnswering",
    "multiple-choice": "AlbertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="albert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="ALBERT (albert-base/large/xlarge/xxlarge v1 and v2, ...)",
        )
    ]
