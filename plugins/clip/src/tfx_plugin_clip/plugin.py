"""Entry module of tfx-plugin-clip (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_clip.modeling_clip"
_CONFIGS = "tfx_plugin_clip.configuration_clip"
_PROCESSORS = (
    "tfx_plugin_clip.processing_clip:CLIPImageProcessor",
    "tfx_plugin_clip.processing_clip:CLIPProcessor",
)


def _heads(table: dict[str, str]) -> tuple[HeadSpec, ...]:
    return tuple(
        HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in table.items()
    )


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="clip",
            config_class=f"{_CONFIGS}:CLIPConfig",
            heads=_heads(
                {
                    "base": "CLIPModel",
                    "zero-shot-image-classification": "CLIPModel",
                    "text-model": "CLIPTextModel",
                    "vision-model": "CLIPVisionModel",
                    "text-model-with-projection": "CLIPTextModelWithProjection",
                    "vision-model-with-projection": "CLIPVisionModelWithProjection",
                    "image-classification": "CLIPForImageClassification",
                }
            ),
            processors=_PROCESSORS,
            description="CLIP text-image model (openai/clip-vit-base-patch32, ...)",
        ),
        ArchitectureSpec(
            model_type="clip_text_model",
            config_class=f"{_CONFIGS}:CLIPTextConfig",
            heads=_heads(
                {
                    "base": "CLIPTextModel",
                    "text-model-with-projection": "CLIPTextModelWithProjection",
                }
            ),
            description="CLIP's text tower alone",
        ),
        ArchitectureSpec(
            model_type="clip_vision_model",
            config_class=f"{_CONFIGS}:CLIPVisionConfig",
            heads=_heads(
                {
                    "base": "CLIPVisionModel",
                    "vision-model-with-projection": "CLIPVisionModelWithProjection",
                }
            ),
            processors=_PROCESSORS[:1],
            description="CLIP's vision tower alone",
        ),
    ]
