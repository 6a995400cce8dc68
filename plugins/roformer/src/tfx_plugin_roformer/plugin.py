"""Entry module of tfx-plugin-roformer (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_roformer.configuration_roformer:RoFormerConfig"
_MODELING = "tfx_plugin_roformer.modeling_roformer"
# RoFormer's WordPiece vocab.txt becomes a tokenizer.json through the core's converter (the
# reference's jieba word segmentation for Chinese is not part of it).
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "RoFormerModel",
    "masked-lm": "RoFormerForMaskedLM",
    "causal-lm": "RoFormerForCausalLM",
    "sequence-classification": "RoFormerForSequenceClassification",
    "token-classification": "RoFormerForTokenClassification",
    "question-answering": "RoFormerForQuestionAnswering",
    "multiple-choice": "RoFormerForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="roformer",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="RoFormer (junnyu/roformer_chinese_base, roformer_v2, ...): rotary positions",
        )
    ]
