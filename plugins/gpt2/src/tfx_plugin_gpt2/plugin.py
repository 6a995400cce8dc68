"""Entry module of tfx-plugin-gpt2 (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_MODELING = "tfx_plugin_gpt2.modeling_gpt2"
_CONVERTER = "tfx_plugin_gpt2.tokenization:convert_byte_level_bpe"


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="gpt2",
            config_class="tfx_plugin_gpt2.configuration_gpt2:GPT2Config",
            heads=(
                HeadSpec("base", "GPT2Model", {"pt": f"{_MODELING}:GPT2Model"}),
                HeadSpec("causal-lm", "GPT2LMHeadModel", {"pt": f"{_MODELING}:GPT2LMHeadModel"}),
                HeadSpec(
                    "sequence-classification",
                    "GPT2ForSequenceClassification",
                    {"pt": f"{_MODELING}:GPT2ForSequenceClassification"},
                ),
                HeadSpec(
                    "token-classification",
                    "GPT2ForTokenClassification",
                    {"pt": f"{_MODELING}:GPT2ForTokenClassification"},
                ),
            ),
            tokenizer_converter=_CONVERTER,
            description="OpenAI GPT-2 decoder (gpt2, distilgpt2, DialoGPT, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            name="gpt2-byte-level-bpe",
            converter=_CONVERTER,
            files=("vocab.json", "merges.txt"),
            model_types=("gpt2",),
        )
    ]
