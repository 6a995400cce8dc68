"""Entry module of tfx-plugin-llama (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_llama.modeling_llama"


def _head(task: str, name: str) -> HeadSpec:
    return HeadSpec(task, name, {"pt": f"{_MODELING}:{name}"})


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="llama",
            config_class="tfx_plugin_llama.configuration_llama:LlamaConfig",
            heads=(
                _head("base", "LlamaModel"),
                _head("causal-lm", "LlamaForCausalLM"),
                _head("sequence-classification", "LlamaForSequenceClassification"),
                _head("token-classification", "LlamaForTokenClassification"),
                _head("question-answering", "LlamaForQuestionAnswering"),
            ),
            description="Meta Llama decoder (Llama 2/3, TinyLlama, ...): RoPE, GQA, RMSNorm, SwiGLU",
        )
    ]
