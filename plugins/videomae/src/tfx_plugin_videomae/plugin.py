"""Entry module of tfx-plugin-videomae (`tfx.plugins` entry point): specs only, no framework
import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_videomae.modeling_videomae"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "VideoMAEModel",
    "video-classification": "VideoMAEForVideoClassification",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="videomae",
            config_class="tfx_plugin_videomae.configuration_videomae:VideoMAEConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_videomae.processing_videomae:VideoMAEImageProcessor",),
            description="VideoMAE video transformer (MCG-NJU/videomae-base-finetuned-kinetics)",
        )
    ]
