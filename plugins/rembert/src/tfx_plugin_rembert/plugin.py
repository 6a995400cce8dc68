"""Entry module of tfx-plugin-rembert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_rembert.configuration_rembert:RemBertConfig"
_MODELING = "tfx_plugin_rembert.modeling_rembert"
# RemBERT checkpoints ship a SentencePiece `sentencepiece.model`: the core converts it.
_CONVERTER = "tfx_core.tokenization.converters:convert_rembert"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "RemBertModel",
    "masked-lm": "RemBertForMaskedLM",
    "causal-lm": "RemBertForCausalLM",
    "sequence-classification": "RemBertForSequenceClassification",
    "token-classification": "RemBertForTokenClassification",
    "question-answering": "RemBertForQuestionAnswering",
    "multiple-choice": "RemBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="rembert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="RemBERT multilingual encoder (google/rembert)",
        )
    ]
