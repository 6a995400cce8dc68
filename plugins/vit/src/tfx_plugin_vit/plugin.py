"""Entry module of tfx-plugin-vit (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_vit.modeling_vit"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "ViTModel",
    "image-classification": "ViTForImageClassification",
    "masked-image-modeling": "ViTForMaskedImageModeling",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="vit",
            config_class="tfx_plugin_vit.configuration_vit:ViTConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_vit.processing_vit:ViTImageProcessor",),
            description="Vision Transformer (google/vit-base-patch16-224, ...)",
        )
    ]
