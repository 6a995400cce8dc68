"""Entry module of tfx-plugin-bert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, head_specs, hookimpl

_MODELING = "tfx_plugin_bert.modeling_bert"
_FLAX = "tfx_plugin_bert.modeling_flax_bert"
_TF = "tfx_plugin_bert.modeling_tf_bert"
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"  # WordPiece, in the core

_HEADS = (
    ("base", "BertModel"),
    ("masked-lm", "BertForMaskedLM"),
    ("causal-lm", "BertLMHeadModel"),
    ("sequence-classification", "BertForSequenceClassification"),
    ("token-classification", "BertForTokenClassification"),
    ("question-answering", "BertForQuestionAnswering"),
    ("multiple-choice", "BertForMultipleChoice"),
    ("next-sentence-prediction", "BertForNextSentencePrediction"),
    ("pretraining", "BertForPreTraining"),
)


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="bert",
            config_class="tfx_plugin_bert.configuration_bert:BertConfig",
            heads=head_specs(_HEADS, _MODELING, tf=_TF, flax=_FLAX),
            tokenizer_converter=_CONVERTER,
            description="BERT encoder (bert-base, MiniLM, sentence-transformers, ...)",
        )
    ]
