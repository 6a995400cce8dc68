"""Entry module of tfx-plugin-blenderbot (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

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


def _implementations(head: str, name: str) -> dict[str, str]:
    """The head's class per framework (Flax for the heads `modeling_flax_blenderbot` has)."""
    found = {"pt": f"{_MODELING}:{name}"}
    if head in _FLAX_HEADS:
        found["flax"] = f"{_FLAX}:Flax{name}"
    if head in _TF_HEADS:
        found["tf"] = f"{_TF}:TF{name}"
    return found


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="blenderbot",
            config_class=f"{_PACKAGE}.configuration_blenderbot:BlenderbotConfig",
            heads=tuple(
                HeadSpec(head, name, _implementations(head, name)) for head, name in _HEADS.items()
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
