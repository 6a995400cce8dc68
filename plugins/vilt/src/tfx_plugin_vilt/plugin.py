"""Entry module of tfx-plugin-vilt (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_vilt.modeling_vilt"
# ViLT checkpoints ship BERT's WordPiece vocab.txt: the core's converter builds the tokenizer.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "ViltModel",
    "visual-question-answering": "ViltForQuestionAnswering",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="vilt",
            config_class="tfx_plugin_vilt.configuration_vilt:ViltConfig",
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_vilt.processing_vilt:ViltImageProcessor",),
            description="ViLT vision-and-language transformer (dandelin/vilt-b32-finetuned-vqa)",
        )
    ]
