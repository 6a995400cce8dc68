"""Entry module of tfx-plugin-bart (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_bart.configuration_bart:BartConfig"
_MODELING = "tfx_plugin_bart.modeling_bart"
# BART ships GPT-2 style vocab.json + merges.txt with RoBERTa's special tokens and template.
_CONVERTER = "tfx_core.tokenization.converters:convert_roberta_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BartModel",
    "seq2seq-lm": "BartForConditionalGeneration",
    "causal-lm": "BartForCausalLM",
    "sequence-classification": "BartForSequenceClassification",
    "question-answering": "BartForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="bart",
            config_class=_CONFIG,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            description="BART encoder-decoder (bart-base, bart-large-cnn, bart-large-mnli, ...)",
        )
    ]
