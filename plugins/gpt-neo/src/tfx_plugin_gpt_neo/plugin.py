"""Entry module of tfx-plugin-gpt-neo (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_gpt_neo.configuration_gpt_neo:GPTNeoConfig"
_MODELING = "tfx_plugin_gpt_neo.modeling_gpt_neo"
# GPT-Neo uses GPT-2's byte-level BPE: legacy vocab.json + merges.txt become a tokenizer.json
# through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_byte_level_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "GPTNeoModel",
    "causal-lm": "GPTNeoForCausalLM",
    "sequence-classification": "GPTNeoForSequenceClassification",
    "token-classification": "GPTNeoForTokenClassification",
    "question-answering": "GPTNeoForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    heads = tuple(
        HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
    )
    return [
        ArchitectureSpec(
            model_type="gpt_neo",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=heads,
            description="EleutherAI GPT-Neo decoder (global and local attention layers)",
        )
    ]
