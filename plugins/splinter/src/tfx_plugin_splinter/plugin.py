"""Entry module of tfx-plugin-splinter (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_splinter.configuration_splinter:SplinterConfig"
_MODELING = "tfx_plugin_splinter.modeling_splinter"
# vocab.txt -> BERT's WordPiece with the `[QUESTION] .` pair template (the plugin's converter).
_TOKENIZATION = "tfx_plugin_splinter.tokenization_splinter"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "SplinterModel",
    "question-answering": "SplinterForQuestionAnswering",
    "pretraining": "SplinterForPreTraining",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="splinter",
            config_class=_CONFIG,
            tokenizer_converter=f"{_TOKENIZATION}:convert_splinter",
            tokenizers=(f"{_TOKENIZATION}:SplinterTokenizerFast",),
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="Splinter few-shot QA encoder (tau/splinter-base, -large, ...)",
        )
    ]
