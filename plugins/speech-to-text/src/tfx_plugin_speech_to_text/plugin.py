"""Entry module of tfx-plugin-speech-to-text (`tfx.plugins`): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, TokenizerConverterSpec, head_specs, hookimpl

_PACKAGE = "tfx_plugin_speech_to_text"
_MODELING = f"{_PACKAGE}.modeling_speech_to_text"
_TOKENIZATION = f"{_PACKAGE}.tokenization_speech_to_text"
_PROCESSING = f"{_PACKAGE}.processing_speech_to_text"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "Speech2TextModel",
    "speech-seq2seq": "Speech2TextForConditionalGeneration",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="speech_to_text",
            config_class=f"{_PACKAGE}.configuration_speech_to_text:Speech2TextConfig",
            heads=head_specs(_HEADS, _MODELING),
            tokenizer_converter=f"{_TOKENIZATION}:convert_speech_to_text",
            tokenizers=(f"{_TOKENIZATION}:Speech2TextTokenizer",),
            processors=(
                f"{_PROCESSING}:Speech2TextFeatureExtractor",
                f"{_PROCESSING}:Speech2TextProcessor",
            ),
            description="Speech2Text speech recognition / translation (facebook/s2t-small-*)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            "speech-to-text-sentencepiece",
            f"{_TOKENIZATION}:convert_speech_to_text",
            ("sentencepiece.bpe.model", "vocab.json"),
            ("speech_to_text", "speech2text"),  # the model type, and the class name's hint
        )
    ]
