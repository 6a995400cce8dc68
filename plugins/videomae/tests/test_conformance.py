"""tfx-plugin-videomae against the tfx conformance kit, on dummy clips (`modality="video"`)."""

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = {
    "image_size": 32,
    "patch_size": 8,
    "num_frames": 4,
    "tubelet_size": 2,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "num_labels": 5,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(model_type="videomae", config=TINY, reference=True, modality="video")
