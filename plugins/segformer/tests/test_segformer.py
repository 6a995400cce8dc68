"""SegFormer against transformers: both classes on several image sizes (losses too), weights
both ways, the image processor and its semantic post-processing."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_segformer import modeling_segformer as ours
from tfx_plugin_segformer.processing_segformer import SegformerImageProcessor

from tfx_core import AutoImageProcessor
from tfx_core.errors import ConfigError, ProcessorError

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


def _inputs(height, width, labels=None):
    generator = torch.Generator().manual_seed(2)
    inputs = {"pixel_values": torch.randn(2, 3, height, width, generator=generator)}
    if labels is not None:
        inputs["labels"] = torch.randint(0, labels, (2, height, width), generator=generator)
    return inputs


@pytest.mark.parametrize("size", [(32, 48), (37, 29)])
@pytest.mark.parametrize("num_labels", [5, 1])
def test_segmentation_matches_the_reference(check_parity, size, num_labels):
    config = transformers.SegformerConfig(**{**TINY, "num_labels": num_labels})
    check_parity(
        ours.SegformerForSemanticSegmentation,
        transformers.SegformerForSemanticSegmentation,
        config,
        _inputs(*size, labels=max(num_labels, 2)),
        ("logits", "loss", "hidden_states", "attentions"),
    )


def test_base_model_matches_the_reference(check_parity):
    config = transformers.SegformerConfig(**TINY)
    check_parity(
        ours.SegformerModel,
        transformers.SegformerModel,
        config,
        _inputs(40, 56),
        ("last_hidden_state", "hidden_states", "attentions"),
    )


def test_image_processor_and_post_processing_match_the_reference(tmp_path):
    reference = transformers.SegformerImageProcessor(size={"height": 48, "width": 40})
    reference.save_pretrained(tmp_path)
    processor = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(processor, SegformerImageProcessor)
    rng = np.random.default_rng(0)
    images = [
        PIL.Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25)]
    ]
    expected = reference(images, return_tensors="np")["pixel_values"]
    assert np.array_equal(processor(images, return_tensors="np")["pixel_values"], expected)
    logits = torch.randn(2, 5, 12, 10, generator=torch.Generator().manual_seed(3))
    outputs = transformers.modeling_outputs.SemanticSegmenterOutput(logits=logits)
    for sizes in ([(40, 60), (33, 25)], None):
        want = reference.post_process_semantic_segmentation(outputs, sizes)
        got = processor.post_process_semantic_segmentation({"logits": logits}, sizes)
        assert all(torch.equal(a, b) for a, b in zip(got, want))


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="one value per stage"):
        ours.SegformerModel(ours.SegformerConfig(**{**TINY, "depths": [1, 2, 3]}))
    model = ours.SegformerModel(ours.SegformerConfig(**TINY))
    with pytest.raises(ConfigError, match="pixel_values must be"):
        model(pixel_values=torch.zeros(1, 1, 32, 32))
    with pytest.raises(ProcessorError, match="target_sizes"):
        SegformerImageProcessor().post_process_semantic_segmentation(
            {"logits": torch.zeros(2, 3, 4, 4)}, [(8, 8)]
        )
