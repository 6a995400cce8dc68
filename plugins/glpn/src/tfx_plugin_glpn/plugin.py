"""Entry module of tfx-plugin-glpn (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_MODELING = "tfx_plugin_glpn.modeling_glpn"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "GLPNModel",
    "depth-estimation": "GLPNForDepthEstimation",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="glpn",
            config_class="tfx_plugin_glpn.configuration_glpn:GLPNConfig",
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            processors=("tfx_plugin_glpn.processing_glpn:GLPNImageProcessor",),
            description="GLPN monocular depth estimation (vinvino02/glpn-kitti, glpn-nyu)",
        )
    ]
