"""tfx-plugin-deit against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_deit.processing_deit import DeiTImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_deit.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="deit",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=DeiTImageProcessor(
            size={"height": 36, "width": 36}, crop_size={"height": 32, "width": 32}
        ).save_pretrained,
        tasks={"image-classification": "image-classification-with-teacher"},
    )
