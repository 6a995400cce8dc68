"""image-segmentation with SegFormer against the reference pipeline.

A tiny SegFormer (random weights, class biases spread so several classes win pixels) is written
by transformers with its image processor; both pipelines read the same images of several sizes
and must give the same labels and identical masks.
"""

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")
pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_segformer")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import ImageSegmentationPipeline  # noqa: E402

TINY = dict(
    num_encoder_blocks=2,
    depths=[1, 1],
    sr_ratios=[2, 1],
    hidden_sizes=[16, 32],
    patch_sizes=[7, 3],
    strides=[4, 2],
    num_attention_heads=[1, 2],
    mlp_ratios=[2, 2],
    decoder_hidden_size=16,
    id2label={0: "wall", 1: "floor", 2: "sky", 3: "tree"},
)


pytestmark = pytest.mark.usefixtures("one_thread")
IMAGE_SIZES = [(40, 60), (33, 25), (64, 48)]


@pytest.fixture(scope="module")
def segmenter(perturbed_checkpoint):
    return perturbed_checkpoint(
        "segformer",
        lambda: transformers.SegformerForSemanticSegmentation(transformers.SegformerConfig(**TINY)),
        transformers.SegformerImageProcessor(size={"height": 32, "width": 48}),
        scale=0.3,
    )


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert (a["score"], a["label"], a["mask"].mode) == (b["score"], b["label"], b["mask"].mode)
        assert np.array_equal(np.asarray(a["mask"]), np.asarray(b["mask"]))


def test_masks_match_the_reference(segmenter, images):
    ours = pipeline("image-segmentation", model=segmenter)
    theirs = transformers.pipeline("image-segmentation", model=segmenter, device="cpu")
    expected = [theirs(image) for image in images]
    _same(ours(images), expected)
    _same(ours(images, batch_size=2), expected)
    _same(ours(images[0], subtask="semantic"), theirs(images[0], subtask="semantic"))
    assert all(len(found) >= 2 for found in expected)  # several classes: a real check


def test_the_task_follows_from_the_checkpoint(segmenter):
    assert isinstance(pipeline(model=segmenter), ImageSegmentationPipeline)


def test_bad_options_are_refused(segmenter, images):
    pipe = pipeline("image-segmentation", model=segmenter)
    with pytest.raises(PipelineError, match="subtask 'panoptic'"):
        pipe(images[0], subtask="panoptic")
    with pytest.raises(PipelineError, match="threshold must be a number"):
        pipe(images[0], threshold="high")
    with pytest.raises(PipelineError, match="post_process_semantic_segmentation"):
        ImageSegmentationPipeline(pipe.model, image_processor=object())
