"""Entry module of tfx-plugin-marian (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_marian"
_MODELING = f"{_PACKAGE}.modeling_marian"
_TOKENIZATION = f"{_PACKAGE}.tokenization_marian"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "MarianModel",
    "seq2seq-lm": "MarianMTModel",
    "causal-lm": "MarianForCausalLM",
}


_FLAX = "tfx_plugin_marian.modeling_flax_marian"
_FLAX_HEADS = {"base", "seq2seq-lm", "causal-lm"}

_TF = "tfx_plugin_marian.modeling_tf_marian"
_TF_HEADS = {"base", "seq2seq-lm", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="marian",
            config_class=f"{_PACKAGE}.configuration_marian:MarianConfig",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter=f"{_TOKENIZATION}:convert_marian",
            tokenizers=(f"{_TOKENIZATION}:MarianTokenizer",),
            description="MarianMT translation models (Helsinki-NLP/opus-mt-*)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "marian-sentencepiece",
            f"{_TOKENIZATION}:convert_marian",
            ("source.spm", "target.spm", "vocab.json"),
            ("marian",),
        )
    ]
