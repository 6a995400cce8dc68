"""Entry module of tfx-plugin-deberta (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_deberta.configuration_deberta:DebertaConfig"
_MODELING = "tfx_plugin_deberta.modeling_deberta"
# DeBERTa's GPT-2 byte-level BPE files (vocab.json + merges.txt) become a tokenizer.json
# through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_deberta_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "DebertaModel",
    "masked-lm": "DebertaForMaskedLM",
    "sequence-classification": "DebertaForSequenceClassification",
    "token-classification": "DebertaForTokenClassification",
    "question-answering": "DebertaForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="deberta",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="DeBERTa (microsoft/deberta-base, deberta-large, deberta-xlarge, ...)",
        )
    ]
