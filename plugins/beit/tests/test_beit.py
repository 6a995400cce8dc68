"""BEiT against transformers: relative position bias (own and shared), layer scale, every head."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_beit import modeling_beit as ours
from tfx_plugin_beit.processing_beit import BeitImageProcessor

from tfx_core import AutoImageProcessor, pipeline
from tfx_core.errors import ProcessorError

TINY = dict(
    vocab_size=40,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=32,
    patch_size=8,
    num_labels=5,
    drop_path_rate=0.0,
)
VARIANTS = {
    "relative": {"use_relative_position_bias": True},
    "shared-absolute-cls": {
        "use_shared_relative_position_bias": True,
        "use_absolute_position_embeddings": True,
        "use_mean_pooling": False,
        "layer_scale_init_value": 0.0,
    },
}


def _pixels(batch=2, size=32):
    return {
        "pixel_values": torch.randn(
            batch, 3, size, size, generator=torch.Generator().manual_seed(2)
        )
    }


MASK = torch.zeros(2, 16, dtype=torch.bool)
MASK[:, ::3] = True


@pytest.mark.parametrize(
    "name, inputs, outputs, variant",
    [
        (
            "BeitModel",
            _pixels(),
            ("last_hidden_state", "pooler_output", "hidden_states", "attentions"),
            "relative",
        ),
        (
            "BeitModel",
            _pixels(),
            ("last_hidden_state", "pooler_output", "hidden_states"),
            "shared-absolute-cls",
        ),
        (
            "BeitForImageClassification",
            {**_pixels(), "labels": torch.tensor([0, 3])},
            ("logits", "loss"),
            "relative",
        ),
        ("BeitForImageClassification", _pixels(), ("logits",), "shared-absolute-cls"),
        (
            "BeitModel",
            {**_pixels(size=48), "interpolate_pos_encoding": True},
            ("last_hidden_state",),
            "relative",
        ),
    ],
)
def test_heads_match_the_reference(check_parity, name, inputs, outputs, variant):
    config = transformers.BeitConfig(**TINY, **VARIANTS[variant])
    check_parity(getattr(ours, name), getattr(transformers, name), config, inputs, outputs)


def test_masked_image_modeling(check_parity):
    config = transformers.BeitConfig(
        **TINY, use_mask_token=True, use_shared_relative_position_bias=True
    )
    labels = torch.randint(0, 40, (int(MASK.sum()),), generator=torch.Generator().manual_seed(1))
    inputs = {**_pixels(), "bool_masked_pos": MASK, "labels": labels}
    check_parity(
        ours.BeitForMaskedImageModeling,
        transformers.BeitForMaskedImageModeling,
        config,
        inputs,
        ("logits", "loss"),
    )


def test_image_classification_pipeline(tmp_path):
    torch.manual_seed(0)
    config = transformers.BeitConfig(
        **TINY, use_relative_position_bias=True, id2label={i: f"c{i}" for i in range(5)}
    )
    model = transformers.BeitForImageClassification(config).eval()
    model.save_pretrained(tmp_path)
    processor = transformers.BeitImageProcessor(size=36, crop_size=32)
    processor.save_pretrained(tmp_path)
    assert isinstance(AutoImageProcessor.from_pretrained(tmp_path), BeitImageProcessor)
    image = PIL.Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    )
    got = pipeline("image-classification", model=str(tmp_path))(image, top_k=3)
    expected = transformers.pipeline(
        "image-classification", model=model, image_processor=processor
    )(image, top_k=3)
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    assert np.allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-6)


def test_semantic_segmentation(check_parity):
    from tfx_plugin_beit.segmentation_beit import BeitForSemanticSegmentation

    config = transformers.BeitConfig(
        **{**TINY, "num_hidden_layers": 4},
        use_relative_position_bias=True,
        out_indices=[1, 2, 3, 4],
        pool_scales=[1, 2],
        auxiliary_channels=8,
    )
    labels = torch.randint(0, 5, (2, 32, 32), generator=torch.Generator().manual_seed(3))
    labels[0, :4] = 255  # ignored pixels
    check_parity(
        BeitForSemanticSegmentation,
        transformers.BeitForSemanticSegmentation,
        config,
        {**_pixels(), "labels": labels},
        ("logits", "loss"),
        atol=1e-5,
    )


def test_semantic_post_processing_matches_the_reference():
    logits = torch.randn(2, 5, 8, 8, generator=torch.Generator().manual_seed(3))
    outputs = {"logits": logits}
    reference = transformers.BeitImageProcessor()
    ours_processor = BeitImageProcessor()
    for sizes in (None, [(20, 30), (9, 7)]):
        theirs = reference.post_process_semantic_segmentation(
            transformers.modeling_outputs.SemanticSegmenterOutput(logits=logits), sizes
        )
        mine = ours_processor.post_process_semantic_segmentation(outputs, sizes)
        assert [torch.equal(a, b) for a, b in zip(mine, theirs)] == [True, True]
    with pytest.raises(ProcessorError, match="segmentation_maps"):
        ours_processor(PIL.Image.new("RGB", (8, 8)), segmentation_maps=[np.zeros((8, 8))])
