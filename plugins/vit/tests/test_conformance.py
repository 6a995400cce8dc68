"""tfx-plugin-vit against the tfx conformance kit: image inputs (`modality="image"`), every
head, parity with transformers both ways, the pre-norm block's fast paths, and the image
pipelines from a saved model and image processor."""

from tfx_plugin_vit.processing_vit import ViTImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "image_size": 32,
    "patch_size": 8,
    "encoder_stride": 8,
    "num_labels": 5,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="vit",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained,
        tasks={
            "image-classification": "image-classification",
            "image-feature-extraction": "base",
        },
    )
