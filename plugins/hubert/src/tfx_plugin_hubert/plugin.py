"""Entry module of tfx-plugin-hubert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_MODELING = "tfx_plugin_hubert.modeling_hubert"
_CONVERTER = "tfx_core.processing.ctc_tokenizer:convert_ctc_vocab"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "HubertModel",
    "ctc": "HubertForCTC",
    "audio-classification": "HubertForSequenceClassification",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="hubert",
            config_class="tfx_plugin_hubert.configuration_hubert:HubertConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            # HuBERT checkpoints record the core recipe under Wav2Vec2's processor names
            processors=("tfx_core.processing:WaveformFeatureExtractor",),
            description="HuBERT speech encoder (facebook/hubert-large-ls960-ft, ...)",
        )
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    return [
        TokenizerConverterSpec(
            name="hubert-ctc", converter=_CONVERTER, files=("vocab.json",), model_types=("hubert",)
        )
    ]
