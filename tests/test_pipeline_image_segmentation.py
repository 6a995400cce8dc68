"""image-segmentation with SegFormer against the reference pipeline.

A tiny SegFormer (random weights, class biases spread so several classes win pixels) is written
by transformers with its image processor; both pipelines read the same images of several sizes
and must give the same labels and identical masks.
"""

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL.Image")
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


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segformer")
    torch.manual_seed(0)
    model = transformers.SegformerForSemanticSegmentation(transformers.SegformerConfig(**TINY))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    model.save_pretrained(folder)
    transformers.SegformerImageProcessor(size={"height": 32, "width": 48}).save_pretrained(folder)
    return str(folder)


def _images():
    rng = np.random.default_rng(0)
    return [
        PIL.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25), (64, 48)]
    ]


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert (a["score"], a["label"], a["mask"].mode) == (b["score"], b["label"], b["mask"].mode)
        assert np.array_equal(np.asarray(a["mask"]), np.asarray(b["mask"]))


def test_masks_match_the_reference(segmenter):
    ours = pipeline("image-segmentation", model=segmenter)
    theirs = transformers.pipeline("image-segmentation", model=segmenter, device="cpu")
    images = _images()
    expected = [theirs(image) for image in images]
    _same(ours(images), expected)
    _same(ours(images, batch_size=2), expected)
    _same(ours(images[0], subtask="semantic"), theirs(images[0], subtask="semantic"))
    assert all(len(found) >= 2 for found in expected)  # several classes: a real check


def test_the_task_follows_from_the_checkpoint(segmenter):
    assert isinstance(pipeline(model=segmenter), ImageSegmentationPipeline)


def test_bad_options_are_refused(segmenter):
    pipe = pipeline("image-segmentation", model=segmenter)
    with pytest.raises(PipelineError, match="subtask 'panoptic'"):
        pipe(_images()[0], subtask="panoptic")
    with pytest.raises(PipelineError, match="threshold must be a number"):
        pipe(_images()[0], threshold="high")
    with pytest.raises(PipelineError, match="post_process_semantic_segmentation"):
        ImageSegmentationPipeline(pipe.model, image_processor=object())
