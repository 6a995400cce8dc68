"""tfx-plugin-vit against the tfx conformance kit: image inputs (`modality="image"`), every
head, parity with transformers both ways, the pre-norm block's fast paths, and the image
pipelines from a saved model and image processor."""

from tfx_plugin_vit.processing_vit import ViTImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_vit.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="vit",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=ViTImageProcessor(
            size={"height": TINY["image_size"], "width": TINY["image_size"]}
        ).save_pretrained,
        tasks={
            "image-classification": "image-classification",
            "image-feature-extraction": "base",
        },
    )
