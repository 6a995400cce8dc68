"""Entry module of tfx-plugin-mpnet (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_mpnet.configuration_mpnet:MPNetConfig"
_MODELING = "tfx_plugin_mpnet.modeling_mpnet"
# MPNet's WordPiece vocab.txt becomes a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_mpnet"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "MPNetModel",
    "masked-lm": "MPNetForMaskedLM",
    "sequence-classification": "MPNetForSequenceClassification",
    "token-classification": "MPNetForTokenClassification",
    "question-answering": "MPNetForQuestionAnswering",
    "multiple-choice": "MPNetForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="mpnet",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="MPNet (microsoft/mpnet-base, sentence-transformers/all-mpnet-base-v2, ...)",
        )
    ]
