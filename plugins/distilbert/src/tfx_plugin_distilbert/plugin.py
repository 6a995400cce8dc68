"""Entry module of tfx-plugin-distilbert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_CONFIG = "tfx_plugin_distilbert.configuration_distilbert:DistilBertConfig"
_MODELING = "tfx_plugin_distilbert.modeling_distilbert"
# DistilBERT checkpoints ship BERT's vocab.txt: the BERT plugin's converter builds the tokenizer.
_CONVERTER = "tfx_plugin_bert.tokenization:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "DistilBertModel",
    "masked-lm": "DistilBertForMaskedLM",
    "sequence-classification": "DistilBertForSequenceClassification",
    "token-classification": "DistilBertForTokenClassification",
    "question-answering": "DistilBertForQuestionAnswering",
    "multiple-choice": "DistilBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="distilbert",
            config_class=_CONFIG,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            description="DistilBERT encoder (distilbert-base, SST-2 sentiment, SQuAD QA, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            name="distilbert-wordpiece",
            converter=_CONVERTER,
            files=("vocab.txt",),
            model_types=("distilbert",),
        )
    ]
