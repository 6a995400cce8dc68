"""tfx-plugin-videomae against the tfx conformance kit, on dummy clips (`modality="video"`)."""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_videomae.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(model_type="videomae", config=TINY, reference=True, modality="video")
