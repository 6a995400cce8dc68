"""tfx-plugin-beit against the tfx conformance kit: image inputs (`modality="image"`),
every head, parity with transformers both ways."""

from tfx_plugin_beit.processing_beit import BeitImageProcessor

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

TINY = sibling_module(__file__, "test_beit.py").TINY  # the plugin tests' tiny config


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="beit",
        config=TINY,
        reference=True,
        modality="image",
        processor_files=BeitImageProcessor(
            size={"height": 36, "width": 36}, crop_size={"height": 32, "width": 32}
        ).save_pretrained,
        tasks={
            "image-classification": "image-classification",
            "image-segmentation": "semantic-segmentation",
        },
        head_config={  # UperNet reads four layers
            "semantic-segmentation": {
                "num_hidden_layers": 4,
                "out_indices": [1, 2, 3, 4],
                "out_features": ["stage1", "stage2", "stage3", "stage4"],
                "pool_scales": [1, 2],
                "auxiliary_channels": 8,
            }
        },
    )
