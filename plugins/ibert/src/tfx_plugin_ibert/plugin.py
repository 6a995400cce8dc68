"""Entry module of tfx-plugin-ibert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_ibert.configuration_ibert:IBertConfig"
_MODELING = "tfx_plugin_ibert.modeling_ibert"
# I-BERT checkpoints ship RoBERTa's vocab.json + merges.txt: the core's byte-level BPE converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_roberta_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "IBertModel",
    "masked-lm": "IBertForMaskedLM",
    "sequence-classification": "IBertForSequenceClassification",
    "token-classification": "IBertForTokenClassification",
    "question-answering": "IBertForQuestionAnswering",
    "multiple-choice": "IBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="ibert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="I-BERT encoder (RoBERTa weights with integer-inference state; float mode)",
        )
    ]
