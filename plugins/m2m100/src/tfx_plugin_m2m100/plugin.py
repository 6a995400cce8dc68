"""Entry module of tfx-plugin-m2m100 (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_m2m100"
_MODELING = f"{_PACKAGE}.modeling_m2m100"
_TOKENIZATION = f"{_PACKAGE}.tokenization_m2m100"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "M2M100Model",
    "seq2seq-lm": "M2M100ForConditionalGeneration",
}


_FLAX = "tfx_plugin_m2m100.modeling_flax_m2m100"
_FLAX_HEADS = {"base", "seq2seq-lm"}

_TF = "tfx_plugin_m2m100.modeling_tf_m2m100"
_TF_HEADS = {"base", "seq2seq-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="m2m_100",
            config_class=f"{_PACKAGE}.configuration_m2m100:M2M100Config",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=f"{_TOKENIZATION}:convert_m2m100",
            tokenizers=(f"{_TOKENIZATION}:M2M100Tokenizer",),
            description="M2M100 many-to-many translation (facebook/m2m100_418M, m2m100_1.2B, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "m2m100-sentencepiece",
            f"{_TOKENIZATION}:convert_m2m100",
            ("sentencepiece.bpe.model", "vocab.json"),
            ("m2m_100", "m2m100"),  # the model type, and the class name's hint
        )
    ]
