"""Entry module of tfx-plugin-camembert (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_camembert.modeling_camembert"
# sentencepiece.bpe.model with CamemBERT's extra `<s>NOTUSED` ... ids first: the core converts it
_CONVERTER = "tfx_core.tokenization.converters:convert_camembert"

_HEADS = (
    ("base", "CamembertModel"),
    ("masked-lm", "CamembertForMaskedLM"),
    ("causal-lm", "CamembertForCausalLM"),
    ("sequence-classification", "CamembertForSequenceClassification"),
    ("token-classification", "CamembertForTokenClassification"),
    ("question-answering", "CamembertForQuestionAnswering"),
    ("multiple-choice", "CamembertForMultipleChoice"),
)


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="camembert",
            config_class="tfx_plugin_camembert.configuration_camembert:CamembertConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="CamemBERT French encoder (camembert-base, ...)",
        )
    ]
