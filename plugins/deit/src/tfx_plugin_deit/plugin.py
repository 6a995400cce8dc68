"""Entry module of tfx-plugin-deit (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_deit.modeling_deit"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "DeiTModel",
    "image-classification": "DeiTForImageClassification",
    "image-classification-with-teacher": "DeiTForImageClassificationWithTeacher",
    "masked-image-modeling": "DeiTForMaskedImageModeling",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="deit",
            config_class="tfx_plugin_deit.configuration_deit:DeiTConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_deit.processing_deit:DeiTImageProcessor",),
            description="DeiT image transformer (facebook/deit-base-distilled-patch16-224, ...)",
        )
    ]
