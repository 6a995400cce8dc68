"""YOLOS against transformers: both classes on several image sizes (the position tables are
resized), weights both ways, the image processor and its detection post-processing."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_yolos import modeling_yolos as ours
from tfx_plugin_yolos.processing_yolos import YolosImageProcessor

from tfx_core import AutoImageProcessor
from tfx_core.errors import ConfigError, ProcessorError

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
OUTPUTS = ("last_hidden_state", "hidden_states", "attentions")


def _pixels(height, width):
    generator = torch.Generator().manual_seed(2)
    return {"pixel_values": torch.randn(2, 3, height, width, generator=generator)}


@pytest.mark.parametrize("size", [(32, 48), (40, 56), (64, 32)])
@pytest.mark.parametrize("mid_positions", [True, False])
def test_detector_matches_the_reference(check_parity, size, mid_positions):
    config = transformers.YolosConfig(**TINY, use_mid_position_embeddings=mid_positions)
    check_parity(
        ours.YolosForObjectDetection,
        transformers.YolosForObjectDetection,
        config,
        _pixels(*size),
        ("logits", "pred_boxes", *OUTPUTS),
    )


def test_base_model_matches_the_reference(check_parity):
    config = transformers.YolosConfig(**TINY)
    check_parity(
        ours.YolosModel,
        transformers.YolosModel,
        config,
        _pixels(48, 40),
        ("pooler_output", *OUTPUTS),
    )


def _images():
    rng = np.random.default_rng(0)
    return [
        PIL.Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25), (100, 37), (50, 120), (64, 64)]
    ]


@pytest.mark.parametrize(
    "size",
    [{"shortest_edge": 32, "longest_edge": 64}, {"shortest_edge": 48, "longest_edge": 130}, None],
)
def test_image_processor_matches_the_reference(tmp_path, size):
    options = {} if size is None else {"size": size}
    reference = transformers.YolosImageProcessor(**options)
    reference.save_pretrained(tmp_path)
    processor = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(processor, YolosImageProcessor)
    images = _images()
    for image in images:
        expected = reference(image, return_tensors="np")["pixel_values"]
        assert np.array_equal(processor(image, return_tensors="np")["pixel_values"], expected)
    expected = reference(images, return_tensors="np")["pixel_values"]  # padded to the largest
    assert np.array_equal(processor(images, return_tensors="np")["pixel_values"], expected)


@pytest.mark.parametrize("threshold", [0.0, 0.3])
def test_post_processing_matches_the_reference(threshold):
    generator = torch.Generator().manual_seed(4)
    outputs = {
        "logits": torch.randn(2, 7, 5, generator=generator) * 2,
        "pred_boxes": torch.rand(2, 7, 4, generator=generator),
    }
    reference = transformers.YolosImageProcessor()
    for sizes in (torch.tensor([[40, 60], [33, 25]], dtype=torch.int32), [(40, 60), (33, 25)]):
        expected = reference.post_process_object_detection(
            transformers.utils.ModelOutput(outputs), threshold, sizes
        )
        got = YolosImageProcessor().post_process_object_detection(outputs, threshold, sizes)
        for a, b in zip(got, expected):
            assert a.keys() == b.keys()
            for key in a:
                assert torch.equal(a[key], b[key])
        assert sum(len(found["scores"]) for found in expected) > 0


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="image_size"):
        ours.YolosModel(ours.YolosConfig(image_size=32))
    model = ours.YolosForObjectDetection(ours.YolosConfig(**TINY))
    with pytest.raises(ConfigError, match="training loss"):
        model(**_pixels(32, 48), labels=[{"class_labels": torch.tensor([1])}])
    processor = YolosImageProcessor(size={"shortest_edge": 48, "longest_edge": 60})
    with pytest.raises(ProcessorError, match="under 16 pixels"):
        processor(PIL.Image.new("RGB", (200, 50)))
    with pytest.raises(ProcessorError, match="target_sizes"):
        processor.post_process_object_detection(
            {"logits": torch.zeros(2, 3, 5), "pred_boxes": torch.zeros(2, 3, 4)}, 0.5, [(4, 4)]
        )
