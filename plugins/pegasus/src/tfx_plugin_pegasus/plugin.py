"""Entry module of tfx-plugin-pegasus (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_PACKAGE = "tfx_plugin_pegasus"
_MODELING = f"{_PACKAGE}.modeling_pegasus"
# spiece.model with Pegasus's reserved ids (pad, eos, masks, <unk_2>..) first: the core converts it
_CONVERTER = "tfx_core.tokenization.converters:convert_pegasus"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "PegasusModel",
    "seq2seq-lm": "PegasusForConditionalGeneration",
    "causal-lm": "PegasusForCausalLM",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="pegasus",
            config_class=f"{_PACKAGE}.configuration_pegasus:PegasusConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            description="Pegasus summarization models (google/pegasus-xsum, pegasus-cnn_dailymail, ...)",
        )
    ]
