"""Entry module of tfx-plugin-wav2vec2 (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_MODELING = "tfx_plugin_wav2vec2.modeling_wav2vec2"
_MODULES = {"pretraining": "tfx_plugin_wav2vec2.pretraining_wav2vec2"}
_PROCESSING = "tfx_plugin_wav2vec2.processing_wav2vec2"
_CONVERTER = "tfx_core.processing.ctc_tokenizer:convert_ctc_vocab"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "Wav2Vec2Model",
    "ctc": "Wav2Vec2ForCTC",
    "audio-classification": "Wav2Vec2ForSequenceClassification",
    "audio-frame-classification": "Wav2Vec2ForAudioFrameClassification",
    "audio-xvector": "Wav2Vec2ForXVector",
    "pretraining": "Wav2Vec2ForPreTraining",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="wav2vec2",
            config_class="tfx_plugin_wav2vec2.configuration_wav2vec2:Wav2Vec2Config",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODULES.get(head, _MODELING)}:{name}"})
                for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            processors=(
                f"{_PROCESSING}:Wav2Vec2FeatureExtractor",
                f"{_PROCESSING}:Wav2Vec2Processor",
            ),
            description="Wav2Vec2 speech encoder (facebook/wav2vec2-base-960h, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            name="wav2vec2-ctc",
            converter=_CONVERTER,
            files=("vocab.json",),
            model_types=("wav2vec2",),
        )
    ]
