"""Entry module of tfx-plugin-layoutlm (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_layoutlm.configuration_layoutlm:LayoutLMConfig"
_MODELING = "tfx_plugin_layoutlm.modeling_layoutlm"
# LayoutLM checkpoints ship BERT's WordPiece vocab.txt: the core's converter builds the tokenizer.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "LayoutLMModel",
    "masked-lm": "LayoutLMForMaskedLM",
    "sequence-classification": "LayoutLMForSequenceClassification",
    "token-classification": "LayoutLMForTokenClassification",
    "question-answering": "LayoutLMForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="layoutlm",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="LayoutLM text + layout encoder (layoutlm-base-uncased, document QA, ...)",
        )
    ]
