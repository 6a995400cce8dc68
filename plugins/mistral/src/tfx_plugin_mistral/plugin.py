"""Entry module of tfx-plugin-mistral (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_mistral.modeling_mistral"


def _head(task: str, name: str) -> HeadSpec:
    return HeadSpec(task, name, {"pt": f"{_MODELING}:{name}"})


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="mistral",
            config_class="tfx_plugin_mistral.configuration_mistral:MistralConfig",
            heads=(
                _head("base", "MistralModel"),
                _head("causal-lm", "MistralForCausalLM"),
                _head("sequence-classification", "MistralForSequenceClassification"),
                _head("token-classification", "MistralForTokenClassification"),
                _head("question-answering", "MistralForQuestionAnswering"),
            ),
            description="Mistral AI decoder: Llama's layout with a sliding attention window",
        )
    ]
