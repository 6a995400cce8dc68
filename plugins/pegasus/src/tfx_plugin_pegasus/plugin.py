"""Entry module of tfx-plugin-pegasus (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, head_specs, hookimpl

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


_FLAX = "tfx_plugin_pegasus.modeling_flax_pegasus"
_FLAX_HEADS = {"base", "seq2seq-lm", "causal-lm"}

_TF = "tfx_plugin_pegasus.modeling_tf_pegasus"
_TF_HEADS = {"base", "seq2seq-lm", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="pegasus",
            config_class=f"{_PACKAGE}.configuration_pegasus:PegasusConfig",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=_CONVERTER,
            description="Pegasus summarization models (google/pegasus-xsum, pegasus-cnn_dailymail, ...)",
        )
    ]
