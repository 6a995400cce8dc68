"""Entry module of tfx-plugin-mbart (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_mbart"
_TOKENIZATION = f"{_PACKAGE}.tokenization_mbart"
_MODELING = f"{_PACKAGE}.modeling_mbart"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "MBartModel",
    "seq2seq-lm": "MBartForConditionalGeneration",
    "causal-lm": "MBartForCausalLM",
    "sequence-classification": "MBartForSequenceClassification",
    "question-answering": "MBartForQuestionAnswering",
}


_FLAX = "tfx_plugin_mbart.modeling_flax_mbart"
_FLAX_HEADS = {"base", "seq2seq-lm", "sequence-classification", "question-answering", "causal-lm"}

_TF = "tfx_plugin_mbart.modeling_tf_mbart"
_TF_HEADS = {"base", "question-answering", "seq2seq-lm", "sequence-classification", "causal-lm"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="mbart",
            config_class=f"{_PACKAGE}.configuration_mbart:MBartConfig",
            heads=head_specs(
                _HEADS, _MODELING, tf=_TF, tf_heads=_TF_HEADS, flax=_FLAX, flax_heads=_FLAX_HEADS
            ),
            tokenizer_converter="tfx_core.tokenization.converters:convert_mbart",
            tokenizers=(
                f"{_TOKENIZATION}:MBartTokenizerFast",
                f"{_TOKENIZATION}:MBart50TokenizerFast",
            ),
            description="mBART / mBART-50 multilingual encoder-decoder (facebook/mbart-large-cc25, "
            "facebook/mbart-large-50, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "mbart50-sentencepiece",
            f"{_TOKENIZATION}:convert_mbart50",
            ("sentencepiece.bpe.model",),
            ("mbart50",),
        )
    ]
