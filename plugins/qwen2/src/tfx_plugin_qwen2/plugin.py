"""Entry module of tfx-plugin-qwen2 (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_qwen2.modeling_qwen2"


def _head(task: str, name: str) -> HeadSpec:
    return HeadSpec(task, name, {"pt": f"{_MODELING}:{name}"})


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="qwen2",
            config_class="tfx_plugin_qwen2.configuration_qwen2:Qwen2Config",
            heads=(
                _head("base", "Qwen2Model"),
                _head("causal-lm", "Qwen2ForCausalLM"),
                _head("sequence-classification", "Qwen2ForSequenceClassification"),
                _head("token-classification", "Qwen2ForTokenClassification"),
                _head("question-answering", "Qwen2ForQuestionAnswering"),
            ),
            description="Alibaba Qwen2 / Qwen2.5 decoder: Llama's layout with query/key/value biases",
        )
    ]
