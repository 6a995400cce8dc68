"""tfx-plugin-wav2vec2 against the tfx conformance kit: raw audio inputs (`modality="audio"`),
every head, parity with transformers both ways, and the audio-classification pipeline from a
saved model and feature extractor."""

from tfx_plugin_wav2vec2.processing_wav2vec2 import Wav2Vec2FeatureExtractor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_wav2vec2.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="wav2vec2",
        config=TINY,
        reference=True,
        modality="audio",
        processor_files=Wav2Vec2FeatureExtractor().save_pretrained,
        tasks={"audio-classification": "audio-classification"},
    )
