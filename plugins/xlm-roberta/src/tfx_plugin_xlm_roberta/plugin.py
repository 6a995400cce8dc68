"""Entry module of tfx-plugin-xlm-roberta (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_xlm_roberta.modeling_xlm_roberta"
# sentencepiece.bpe.model with fairseq's `<s> <pad> </s> <unk>` ids first: the core converts it
_CONVERTER = "tfx_core.tokenization.converters:convert_xlm_roberta"

_HEADS = (
    ("base", "XLMRobertaModel"),
    ("masked-lm", "XLMRobertaForMaskedLM"),
    ("causal-lm", "XLMRobertaForCausalLM"),
    ("sequence-classification", "XLMRobertaForSequenceClassification"),
    ("token-classification", "XLMRobertaForTokenClassification"),
    ("question-answering", "XLMRobertaForQuestionAnswering"),
    ("multiple-choice", "XLMRobertaForMultipleChoice"),
)


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="xlm-roberta",
            config_class="tfx_plugin_xlm_roberta.configuration_xlm_roberta:XLMRobertaConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="XLM-RoBERTa multilingual encoder (xlm-roberta-base/large, ...)",
        )
    ]
