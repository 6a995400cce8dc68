"""Entry module of tfx-plugin-xlm (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_xlm.modeling_xlm"
_TOKENIZATION = "tfx_plugin_xlm.tokenization_xlm"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "XLMModel",
    "masked-lm": "XLMWithLMHeadModel",
    # as in the reference, the LM head also serves causal LM (CLM checkpoints; `generate`
    # appends the mask token at every step)
    "causal-lm": "XLMWithLMHeadModel",
    "sequence-classification": "XLMForSequenceClassification",
    "token-classification": "XLMForTokenClassification",
    "question-answering": "XLMForQuestionAnsweringSimple",
    "question-answering-beam": "XLMForQuestionAnswering",
    "multiple-choice": "XLMForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="xlm",
            config_class="tfx_plugin_xlm.configuration_xlm:XLMConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter="tfx_core.tokenization.converters:convert_xlm",
            tokenizers=(f"{_TOKENIZATION}:XLMTokenizer",),
            description="XLM cross-lingual encoders (FacebookAI/xlm-mlm-en-2048, xlm-mlm-enfr-1024, ...)",
        )
    ]
