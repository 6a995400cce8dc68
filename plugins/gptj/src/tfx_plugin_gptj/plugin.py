"""Entry module of tfx-plugin-gptj (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_gptj.configuration_gptj:GPTJConfig"
_MODELING = "tfx_plugin_gptj.modeling_gptj"
# GPT-J uses GPT-2's byte-level BPE: legacy vocab.json + merges.txt become a tokenizer.json
# through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_byte_level_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "GPTJModel",
    "causal-lm": "GPTJForCausalLM",
    "sequence-classification": "GPTJForSequenceClassification",
    "question-answering": "GPTJForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    heads = tuple(
        HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
    )
    return [
        ArchitectureSpec(
            model_type="gptj",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=heads,
            description="EleutherAI GPT-J decoder (rotary positions on part of each head, parallel residual)",
        )
    ]
