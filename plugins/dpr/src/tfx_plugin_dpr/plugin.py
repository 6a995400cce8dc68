"""Entry module of tfx-plugin-dpr (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_dpr.configuration_dpr:DPRConfig"
_MODELING = "tfx_plugin_dpr.modeling_dpr"
_TOKENIZATION = "tfx_plugin_dpr.tokenization_dpr"
# DPR checkpoints ship BERT's WordPiece vocab.txt: the core's converter builds the tokenizer.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it. As in the
#: reference, `AutoModel` on a DPR checkpoint builds the question encoder ("base").
_HEADS = {
    "base": "DPRQuestionEncoder",
    "context-encoder": "DPRContextEncoder",
    "reader": "DPRReader",
}
# The first is what AutoTokenizer builds when tokenizer_config.json names no class.
_TOKENIZERS = ("DPRQuestionEncoder", "DPRContextEncoder", "DPRReader")


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="dpr",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            tokenizers=tuple(f"{_TOKENIZATION}:{name}TokenizerFast" for name in _TOKENIZERS),
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="DPR retrieval encoders and reader (facebook/dpr-*-single-nq-base, ...)",
        )
    ]
