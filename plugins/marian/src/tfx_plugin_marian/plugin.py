"""Entry module of tfx-plugin-marian (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

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


def _implementations(head: str, name: str) -> dict[str, str]:
    """The head's class per framework (Flax for the heads `modeling_flax_marian` has)."""
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
            model_type="marian",
            config_class=f"{_PACKAGE}.configuration_marian:MarianConfig",
            heads=tuple(
                HeadSpec(head, name, _implementations(head, name)) for head, name in _HEADS.items()
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
