"""Entry module of tfx-plugin-blenderbot-small (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_blenderbot_small"
_MODELING = f"{_PACKAGE}.modeling_blenderbot_small"
_TOKENIZATION = f"{_PACKAGE}.tokenization_blenderbot_small"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BlenderbotSmallModel",
    "seq2seq-lm": "BlenderbotSmallForConditionalGeneration",
    "causal-lm": "BlenderbotSmallForCausalLM",
}


_FLAX = "tfx_plugin_blenderbot_small.modeling_flax_blenderbot_small"
_FLAX_HEADS = {"base", "seq2seq-lm", "causal-lm"}

_TF = "tfx_plugin_blenderbot_small.modeling_tf_blenderbot_small"
_TF_HEADS = {"base", "seq2seq-lm", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="blenderbot-small",
            config_class=f"{_PACKAGE}.configuration_blenderbot_small:BlenderbotSmallConfig",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=f"{_TOKENIZATION}:convert_blenderbot_small",
            tokenizers=(f"{_TOKENIZATION}:BlenderbotSmallTokenizer",),
            description="Blenderbot-Small chatbots (facebook/blenderbot_small-90M)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "blenderbot-small-bpe",
            f"{_TOKENIZATION}:convert_blenderbot_small",
            ("vocab.json", "merges.txt"),
            ("blenderbot-small", "blenderbotsmall"),  # the model type and the class's hint
        )
    ]
