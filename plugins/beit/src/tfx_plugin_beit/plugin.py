"""Entry module of tfx-plugin-beit (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_beit.modeling_beit"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BeitModel",
    "image-classification": "BeitForImageClassification",
    "masked-image-modeling": "BeitForMaskedImageModeling",
    "semantic-segmentation": "BeitForSemanticSegmentation",
}
_MODULES = {"semantic-segmentation": "tfx_plugin_beit.segmentation_beit"}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="beit",
            config_class="tfx_plugin_beit.configuration_beit:BeitConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODULES.get(head, _MODELING)}:{name}"})
                for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_beit.processing_beit:BeitImageProcessor",),
            description="BEiT image transformer (microsoft/beit-base-patch16-224, ...)",
        )
    ]
