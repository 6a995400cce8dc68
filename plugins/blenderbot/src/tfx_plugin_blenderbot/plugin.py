"""Entry module of tfx-plugin-blenderbot (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_blenderbot"
_MODELING = f"{_PACKAGE}.modeling_blenderbot"
_CONVERTER = f"{_PACKAGE}.tokenization_blenderbot:convert_blenderbot"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BlenderbotModel",
    "seq2seq-lm": "BlenderbotForConditionalGeneration",
    "causal-lm": "BlenderbotForCausalLM",
}


_FLAX = "tfx_plugin_blenderbot.modeling_flax_blenderbot"
_FLAX_HEADS = {"base", "seq2seq-lm", "causal-lm"}

_TF = "tfx_plugin_blenderbot.modeling_tf_blenderbot"
_TF_HEADS = {"base", "seq2seq-lm", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="blenderbot",
            config_class=f"{_PACKAGE}.configuration_blenderbot:BlenderbotConfig",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="Blenderbot open-domain chatbots (facebook/blenderbot-400M-distill, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "blenderbot-byte-level-bpe", _CONVERTER, ("vocab.json", "merges.txt"), ("blenderbot",)
        )
    ]
