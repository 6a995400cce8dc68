"""tfx-plugin-segformer against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_segformer.processing_segformer import SegformerImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = dict(
    num_encoder_blocks=2,
    depths=[1, 2],
    sr_ratios=[4, 1],
    hidden_sizes=[16, 32],
    patch_sizes=[7, 3],
    strides=[4, 2],
    num_attention_heads=[1, 2],
    mlp_ratios=[2, 2],
    decoder_hidden_size=24,
    num_labels=5,
)


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="segformer",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=SegformerImageProcessor(size={"height": 32, "width": 32}).save_pretrained,
        tasks={"image-segmentation": "semantic-segmentation"},
    )
