"""Entry module of tfx-plugin-openai-gpt (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_CONFIG = "tfx_plugin_openai_gpt.configuration_openai_gpt:OpenAIGPTConfig"
_MODELING = "tfx_plugin_openai_gpt.modeling_openai_gpt"
# OpenAI GPT's own lower-cased BPE (vocab.json + merges.txt, `</w>` word ends) becomes a
# tokenizer.json through this plugin's converter.
_CONVERTER = "tfx_plugin_openai_gpt.tokenization_openai_gpt:convert_openai_gpt_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "OpenAIGPTModel",
    "causal-lm": "OpenAIGPTLMHeadModel",
    "sequence-classification": "OpenAIGPTForSequenceClassification",
    # LM logits plus a multiple-choice score: its own head key (outputs unlike either)
    "double-heads": "OpenAIGPTDoubleHeadsModel",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    heads = tuple(
        HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
    )
    return [
        ArchitectureSpec(
            model_type="openai-gpt",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=heads,
            description="OpenAI GPT: the first GPT, a post-norm decoder, with its lower-cased BPE",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    # "openaigpt" is the hint a tokenizer_config.json naming OpenAIGPTTokenizer gives
    return [
        TokenizerConverterSpec(
            "openai-gpt-bpe",
            _CONVERTER,
            ("vocab.json", "merges.txt"),
            ("openai-gpt", "openaigpt"),
        )
    ]
