"""tfx-plugin-hubert against the tfx conformance kit: raw audio inputs (`modality="audio"`),
every head, parity with transformers both ways."""

from tfx_core.processing import WaveformFeatureExtractor
from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = dict(
    vocab_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    conv_dim=(16, 16),
    conv_stride=(5, 4),
    conv_kernel=(10, 8),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
    classifier_proj_size=12,
    num_labels=3,
)


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="hubert",
        config=TINY,
        reference=True,
        modality="audio",
        processor_files=WaveformFeatureExtractor().save_pretrained,
        tasks={"audio-classification": "audio-classification"},
    )
