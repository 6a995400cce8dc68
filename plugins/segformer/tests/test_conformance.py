"""tfx-plugin-segformer against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_segformer.processing_segformer import SegformerImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_segformer.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="segformer",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=SegformerImageProcessor(size={"height": 32, "width": 32}).save_pretrained,
        tasks={"image-segmentation": "semantic-segmentation"},
    )
