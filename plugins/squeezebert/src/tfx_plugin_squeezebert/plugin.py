"""Entry module of tfx-plugin-squeezebert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_squeezebert.configuration_squeezebert:SqueezeBertConfig"
_MODELING = "tfx_plugin_squeezebert.modeling_squeezebert"
# Legacy WordPiece files (vocab.txt) become a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "SqueezeBertModel",
    "masked-lm": "SqueezeBertForMaskedLM",
    "sequence-classification": "SqueezeBertForSequenceClassification",
    "token-classification": "SqueezeBertForTokenClassification",
    "question-answering": "SqueezeBertForQuestionAnswering",
    "multiple-choice": "SqueezeBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="squeezebert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="SqueezeBERT encoder (squeezebert-uncased, -mnli, ...)",
        )
    ]
