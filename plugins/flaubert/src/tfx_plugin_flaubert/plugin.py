"""Entry module of tfx-plugin-flaubert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_flaubert.modeling_flaubert"
_TOKENIZATION = "tfx_plugin_flaubert.tokenization_flaubert"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "FlaubertModel",
    "masked-lm": "FlaubertWithLMHeadModel",
    "sequence-classification": "FlaubertForSequenceClassification",
    "token-classification": "FlaubertForTokenClassification",
    "question-answering": "FlaubertForQuestionAnsweringSimple",
    "question-answering-beam": "FlaubertForQuestionAnswering",
    "multiple-choice": "FlaubertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="flaubert",
            config_class="tfx_plugin_flaubert.configuration_flaubert:FlaubertConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter="tfx_core.tokenization.converters:convert_flaubert",
            tokenizers=(f"{_TOKENIZATION}:FlaubertTokenizer",),
            description="FlauBERT French encoders (flaubert/flaubert_base_cased, ...)",
        )
    ]
