"""tfx-plugin-yolos against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_yolos.processing_yolos import YolosImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_yolos.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="yolos",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=YolosImageProcessor(size={"height": 32, "width": 48}).save_pretrained,
        tasks={"object-detection": "object-detection"},
    )
