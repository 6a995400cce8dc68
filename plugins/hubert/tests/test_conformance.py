"""tfx-plugin-hubert against the tfx conformance kit: raw audio inputs (`modality="audio"`),
every head, parity with transformers both ways."""

from tfx_core.processing import WaveformFeatureExtractor
from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_hubert.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="hubert",
        config=TINY,
        reference=True,
        modality="audio",
        processor_files=WaveformFeatureExtractor().save_pretrained,
        tasks={"audio-classification": "audio-classification"},
    )
