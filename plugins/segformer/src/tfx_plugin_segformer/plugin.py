"""Entry module of tfx-plugin-segformer (`tfx.plugins` entry point): specs only, no framework
import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_segformer.modeling_segformer"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "SegformerModel",
    "semantic-segmentation": "SegformerForSemanticSegmentation",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="segformer",
            config_class="tfx_plugin_segformer.configuration_segformer:SegformerConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_segformer.processing_segformer:SegformerImageProcessor",),
            description="SegFormer semantic segmentation (nvidia/segformer-b0-finetuned-ade-512-512)",
        )
    ]
