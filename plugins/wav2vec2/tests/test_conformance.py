"""tfx-plugin-wav2vec2 against the tfx conformance kit: raw audio inputs (`modality="audio"`),
every head, parity with transformers both ways, and the audio-classification pipeline from a
saved model and feature extractor."""

from tfx_plugin_wav2vec2.processing_wav2vec2 import Wav2Vec2FeatureExtractor

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = {
    "vocab_size": 16,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "conv_dim": (16, 16),
    "conv_stride": (5, 4),
    "conv_kernel": (10, 8),
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 4,
    "classifier_proj_size": 12,
    "num_labels": 3,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="wav2vec2",
        config=TINY,
        reference=True,
        modality="audio",
        processor_files=Wav2Vec2FeatureExtractor().save_pretrained,
        tasks={"audio-classification": "audio-classification"},
    )
