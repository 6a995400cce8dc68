"""object-detection with YOLOS against the reference pipeline.

A tiny YOLOS detector (random weights, detection-token biases set so several boxes pass the
threshold) is written by transformers with its image processor; both pipelines read the same
images of several sizes and must give the same labels, boxes and scores.
"""

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_yolos")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import ObjectDetectionPipeline  # noqa: E402

TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    image_size=[32, 48],
    patch_size=8,
    num_detection_tokens=6,
    id2label={0: "cat", 1: "dog", 2: "remote"},
)
SIZE = {"shortest_edge": 32, "longest_edge": 64}


pytestmark = pytest.mark.usefixtures("one_thread")
IMAGE_SIZES = [(40, 60), (33, 25), (32, 32), (64, 48)]


@pytest.fixture(scope="module")
def detector(perturbed_checkpoint):
    return perturbed_checkpoint(
        "yolos",
        lambda: transformers.YolosForObjectDetection(transformers.YolosConfig(**TINY)),
        transformers.YolosImageProcessor(size=SIZE),
        adjust=lambda model: model.class_labels_classifier.layers[-1].bias.copy_(
            torch.tensor([2.0, 1.5, 1.0, -3.0])
        ),
    )


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert (a["label"], a["box"]) == (b["label"], b["box"])
        assert abs(a["score"] - b["score"]) <= 1e-5


@pytest.mark.parametrize("threshold", [None, 0.3, 0.9])
def test_detections_match_the_reference(detector, threshold, images):
    ours = pipeline("object-detection", model=detector)
    theirs = transformers.pipeline("object-detection", model=detector, device="cpu")
    options = {} if threshold is None else {"threshold": threshold}
    expected = [theirs(image, **options) for image in images]
    _same(ours(images, **options), expected)
    _same(ours(images, batch_size=3, **options), expected)
    _same(ours(images[0], **options), expected[0])
    if threshold == 0.3:  # the check covers real detections
        assert sum(len(found) for found in expected) >= 4


def test_the_task_follows_from_the_checkpoint(detector):
    pipe = pipeline(model=detector)
    assert isinstance(pipe, ObjectDetectionPipeline)


def test_bad_options_and_processors_are_refused(detector, images):
    pipe = pipeline("object-detection", model=detector)
    with pytest.raises(PipelineError, match="threshold"):
        pipe(images[0], threshold="high")
    with pytest.raises(PipelineError, match="Unknown option"):
        pipe(images[0], top_k=3)
    with pytest.raises(PipelineError, match="post_process_object_detection"):
        ObjectDetectionPipeline(pipe.model, image_processor=object())
