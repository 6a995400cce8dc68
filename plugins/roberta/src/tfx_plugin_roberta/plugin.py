"""Entry module of tfx-plugin-roberta (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_roberta.configuration_roberta:RobertaConfig"
_MODELING = "tfx_plugin_roberta.modeling_roberta"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "RobertaModel",
    "masked-lm": "RobertaForMaskedLM",
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
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="RoBERTa for tfx: RobertaModel and its masked-LM, causal-LM, classification, QA and multiple-choice heads; loads Hub checkpoints unchanged",
        )
    ]
