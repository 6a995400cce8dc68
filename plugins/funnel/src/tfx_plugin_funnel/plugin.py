"""Entry module of tfx-plugin-funnel (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_funnel.configuration_funnel:FunnelConfig"
_MODELING = "tfx_plugin_funnel.modeling_funnel"
# Legacy WordPiece files (vocab.txt) become a tokenizer.json through the core's converter
# (BERT's WordPiece with Funnel's special tokens and token type 2 for [CLS]).
_CONVERTER = "tfx_core.tokenization.converters:convert_funnel"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "FunnelModel",
    "base-model": "FunnelBaseModel",  # the encoder alone, without the upsampling decoder
    "pretraining": "FunnelForPreTraining",
    "masked-lm": "FunnelForMaskedLM",
    "sequence-classification": "FunnelForSequenceClassification",
    "token-classification": "FunnelForTokenClassification",
    "question-answering": "FunnelForQuestionAnswering",
    "multiple-choice": "FunnelForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="funnel",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="Funnel Transformer (funnel-transformer/small, -base, ...; full and base)",
        )
    ]
