"""Entry module of tfx-plugin-fnet (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_fnet.configuration_fnet:FNetConfig"
_MODELING = "tfx_plugin_fnet.modeling_fnet"
# FNet's SentencePiece `spiece.model` becomes a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_fnet"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "FNetModel",
    "pretraining": "FNetForPreTraining",
    "next-sentence-prediction": "FNetForNextSentencePrediction",
    "masked-lm": "FNetForMaskedLM",
    "sequence-classification": "FNetForSequenceClassification",
    "token-classification": "FNetForTokenClassification",
    "question-answering": "FNetForQuestionAnswering",
    "multiple-choice": "FNetForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="fnet",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="FNet (google/fnet-base, google/fnet-large, ...)",
        )
    ]
