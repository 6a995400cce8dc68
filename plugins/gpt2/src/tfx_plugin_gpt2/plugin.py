"""Entry module of tfx-plugin-gpt2 (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_gpt2.modeling_gpt2"
_FLAX = "tfx_plugin_gpt2.modeling_flax_gpt2"
_TF = "tfx_plugin_gpt2.modeling_tf_gpt2"
_CONVERTER = "tfx_core.tokenization.converters:convert_byte_level_bpe"  # in the core


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="gpt2",
            config_class="tfx_plugin_gpt2.configuration_gpt2:GPT2Config",
            heads=(
                HeadSpec(
                    "base",
                    "GPT2Model",
                    {
                        "pt": f"{_MODELING}:GPT2Model",
                        "tf": f"{_TF}:TFGPT2Model",
                        "flax": f"{_FLAX}:FlaxGPT2Model",
                    },
                ),
                HeadSpec(
                    "causal-lm",
                    "GPT2LMHeadModel",
                    {
                        "pt": f"{_MODELING}:GPT2LMHeadModel",
                        "tf": f"{_TF}:TFGPT2LMHeadModel",
                        "flax": f"{_FLAX}:FlaxGPT2LMHeadModel",
                    },
                ),
                HeadSpec(
                    "sequence-classification",
                    "GPT2ForSequenceClassification",
                    {
                        "pt": f"{_MODELING}:GPT2ForSequenceClassification",
                        "tf": f"{_TF}:TFGPT2ForSequenceClassification",
                        "flax": f"{_FLAX}:FlaxGPT2ForSequenceClassification",
                    },
                ),
                HeadSpec(
                    "token-classification",
                    "GPT2ForTokenClassification",
                    {
                        "pt": f"{_MODELING}:GPT2ForTokenClassification",
                        "tf": f"{_TF}:TFGPT2ForTokenClassification",
                        "flax": f"{_FLAX}:FlaxGPT2ForTokenClassification",
                    },
                ),
            ),
            tokenizer_converter=_CONVERTER,
            description="OpenAI GPT-2 decoder (gpt2, distilgpt2, DialoGPT, ...)",
        )
    ]
