"""tfx-plugin-clip against the tfx conformance kit: the text-image model on texts and images
together (`modality="text+image"`), and each tower alone as its own model type."""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

_SIZES = sibling_module(__file__, "test_clip.py")  # the plugin tests' tiny towers
TEXT, VISION = _SIZES.TEXT, _SIZES.VISION


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="clip",
        config={"text_config": TEXT, "vision_config": VISION, "projection_dim": 16},
        # CLIPModel serves both "base" and the zero-shot task; the towers have their own types
        heads=("zero-shot-image-classification", "image-classification"),
        reference=True,
        modality="text+image",
        head_modality={"image-classification": "image"},
    )


class TestTextTowerConformance(ConformanceSuite):
    tester = PluginTester(model_type="clip_text_model", config=TEXT, reference=True)


class TestVisionTowerConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="clip_vision_model", config=VISION, reference=True, modality="image"
    )
