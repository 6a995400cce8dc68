"""Entry module of tfx-plugin-convbert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_convbert.configuration_convbert:ConvBertConfig"
_MODELING = "tfx_plugin_convbert.modeling_convbert"
# Legacy WordPiece files (vocab.txt) become a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "ConvBertModel",
    "masked-lm": "ConvBertForMaskedLM",
    "sequence-classification": "ConvBertForSequenceClassification",
    "token-classification": "ConvBertForTokenClassification",
    "question-answering": "ConvBertForQuestionAnswering",
    "multiple-choice": "ConvBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="convbert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="ConvBERT encoder (YituTech/conv-bert-base, -medium-small, ...)",
        )
    ]
