"""Entry module of tfx-plugin-electra (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_electra.modeling_electra"
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"  # BERT's vocab.txt

_HEADS = (
    ("base", "ElectraModel"),
    ("pretraining", "ElectraForPreTraining"),
    ("masked-lm", "ElectraForMaskedLM"),
    ("causal-lm", "ElectraForCausalLM"),
    ("sequence-classification", "ElectraForSequenceClassification"),
    ("token-classification", "ElectraForTokenClassification"),
    ("question-answering", "ElectraForQuestionAnswering"),
    ("multiple-choice", "ElectraForMultipleChoice"),
)


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="electra",
            config_class="tfx_plugin_electra.configuration_electra:ElectraConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="ELECTRA discriminators and generators (electra-small/base/large, ...)",
        )
    ]
