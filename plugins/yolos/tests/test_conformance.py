"""tfx-plugin-yolos against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_yolos.processing_yolos import YolosImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = dict(
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=[32, 48],
    patch_size=8,
    num_detection_tokens=5,
    num_labels=4,
)


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="yolos",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=YolosImageProcessor(size={"height": 32, "width": 48}).save_pretrained,
        tasks={"object-detection": "object-detection"},
    )
