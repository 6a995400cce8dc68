"""tfx-plugin-deit against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_deit.processing_deit import DeiTImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=32,
    patch_size=8,
    encoder_stride=8,
    num_labels=5,
)


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
