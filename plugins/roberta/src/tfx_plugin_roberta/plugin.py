"""Entry module of tfx-plugin-roberta (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, head_specs, hookimpl

_CONFIG = "tfx_plugin_roberta.configuration_roberta:RobertaConfig"
_MODELING = "tfx_plugin_roberta.modeling_roberta"
_FLAX = "tfx_plugin_roberta.modeling_flax_roberta"
_TF = "tfx_plugin_roberta.modeling_tf_roberta"
# RoBERTa checkpoints ship GPT-2 style vocab.json + merges.txt with RoBERTa's special tokens and
# `<s> A </s></s> B </s>` template: the core's byte-level BPE converter builds that tokenizer.
_CONVERTER = "tfx_core.tokenization.converters:convert_roberta_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "RobertaModel",
    "masked-lm": "RobertaForMaskedLM",
    "causal-lm": "RobertaForCausalLM",
    "sequence-classification": "RobertaForSequenceClassification",
    "token-classification": "RobertaForTokenClassification",
    "question-answering": "RobertaForQuestionAnswering",
    "multiple-choice": "RobertaForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="roberta",
            config_class=_CONFIG,
            heads=head_specs(_HEADS, _MODELING, tf=_TF, flax=_FLAX),
            tokenizer_converter=_CONVERTER,
            description="RoBERTa encoder (roberta-base, sentiment and NER fine-tunes, ...)",
        )
    ]
