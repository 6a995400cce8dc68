"""Entry module of tfx-plugin-bart (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, head_specs, hookimpl

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


_FLAX = "tfx_plugin_bart.modeling_flax_bart"
_FLAX_HEADS = {"base", "seq2seq-lm", "sequence-classification", "question-answering", "causal-lm"}

_TF = "tfx_plugin_bart.modeling_tf_bart"
_TF_HEADS = {"base", "question-answering", "seq2seq-lm", "sequence-classification", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="bart",
            config_class=_CONFIG,
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="BART encoder-decoder (bart-base, bart-large-cnn, bart-large-mnli, ...)",
        )
    ]
