"""Entry module of tfx-plugin-bert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_MODELING = "tfx_plugin_bert.modeling_bert"
_CONVERTER = "tfx_plugin_bert.tokenization:convert_wordpiece"

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
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="BERT encoder (bert-base, MiniLM, sentence-transformers, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            name="bert-wordpiece",
            converter=_CONVERTER,
            files=("vocab.txt",),
            model_types=("bert",),
        )
    ]
