"""tfx-plugin-glpn against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_glpn.processing_glpn import GLPNImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_glpn.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="glpn",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=GLPNImageProcessor().save_pretrained,
        tasks={"depth-estimation": "depth-estimation"},
    )
