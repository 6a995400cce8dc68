"""Entry module of tfx-plugin-ctrl (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_CONFIG = "tfx_plugin_ctrl.configuration_ctrl:CTRLConfig"
_MODELING = "tfx_plugin_ctrl.modeling_ctrl"
# CTRL's own BPE (vocab.json + merges.txt, `@@` continuation marks) becomes a tokenizer.json
# through this plugin's converter.
_CONVERTER = "tfx_plugin_ctrl.tokenization_ctrl:convert_ctrl_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "CTRLModel",
    "causal-lm": "CTRLLMHeadModel",
    "sequence-classification": "CTRLForSequenceClassification",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    heads = tuple(
        HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
    )
    return [
        ArchitectureSpec(
            model_type="ctrl",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=heads,
            description="Salesforce CTRL: conditional transformer LM steered by control codes",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [TokenizerConverterSpec("ctrl-bpe", _CONVERTER, ("vocab.json", "merges.txt"), ("ctrl",))]
