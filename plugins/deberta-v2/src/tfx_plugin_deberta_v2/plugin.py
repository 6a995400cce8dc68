"""Entry module of tfx-plugin-deberta-v2 (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_deberta_v2.configuration_deberta_v2:DebertaV2Config"
_MODELING = "tfx_plugin_deberta_v2.modeling_deberta_v2"
# DeBERTa-v2/v3's SentencePiece `spm.model` becomes a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_deberta_v2"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "DebertaV2Model",
    "masked-lm": "DebertaV2ForMaskedLM",
    "sequence-classification": "DebertaV2ForSequenceClassification",
    "token-classification": "DebertaV2ForTokenClassification",
    "question-answering": "DebertaV2ForQuestionAnswering",
    "multiple-choice": "DebertaV2ForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="deberta-v2",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="DeBERTa-v2 and v3 (microsoft/deberta-v2-xlarge, deberta-v3-base/large, mdeberta-v3, ...)",
        )
    ]
