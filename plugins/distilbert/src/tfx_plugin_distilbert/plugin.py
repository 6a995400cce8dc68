"""Entry module of tfx-plugin-distilbert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, head_specs, hookimpl

_CONFIG = "tfx_plugin_distilbert.configuration_distilbert:DistilBertConfig"
_MODELING = "tfx_plugin_distilbert.modeling_distilbert"
_FLAX = "tfx_plugin_distilbert.modeling_flax_distilbert"
_TF = "tfx_plugin_distilbert.modeling_tf_distilbert"
# DistilBERT checkpoints ship BERT's vocab.txt: the core's WordPiece converter reads it.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

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
            heads=head_specs(_HEADS, _MODELING, tf=_TF, flax=_FLAX),
            tokenizer_converter=_CONVERTER,
            description="DistilBERT encoder (distilbert-base, SST-2 sentiment, SQuAD QA, ...)",
        )
    ]
