"""Entry module of tfx-plugin-bert-generation (`tfx.plugins` entry point): specs only."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_bert_generation.configuration_bert_generation:BertGenerationConfig"
_MODELING = "tfx_plugin_bert_generation.modeling_bert_generation"
# `spiece.model` (plain SentencePiece, nothing added around the text) -> tokenizer.json.
_CONVERTER = "tfx_plugin_bert_generation.tokenization_bert_generation:convert_bert_generation"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BertGenerationEncoder",
    "causal-lm": "BertGenerationDecoder",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="bert-generation",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="BertGeneration (BERT2BERT encoders/decoders, google/bert_for_seq_generation)",
        )
    ]
