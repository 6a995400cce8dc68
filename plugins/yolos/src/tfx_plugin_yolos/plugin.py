"""Entry module of tfx-plugin-yolos (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_yolos.modeling_yolos"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "YolosModel",
    "object-detection": "YolosForObjectDetection",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="yolos",
            config_class="tfx_plugin_yolos.configuration_yolos:YolosConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_yolos.processing_yolos:YolosImageProcessor",),
            description="YOLOS object detection transformer (hustvl/yolos-tiny, ...)",
        )
    ]
