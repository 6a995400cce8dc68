"""depth-estimation with GLPN against the reference pipeline.

A tiny GLPN (random weights) is written by transformers with its image processor; both pipelines
read the same images of several sizes and must give the same depth tensors and images.
"""

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")
pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_glpn")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import DepthEstimationPipeline  # noqa: E402

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
)


pytestmark = pytest.mark.usefixtures("one_thread")
IMAGE_SIZES = [(40, 60), (33, 25), (64, 48), (45, 61)]


@pytest.fixture(scope="module")
def estimator(perturbed_checkpoint):
    return perturbed_checkpoint(
        "glpn",
        lambda: transformers.GLPNForDepthEstimation(transformers.GLPNConfig(**TINY)),
        transformers.GLPNImageProcessor(size_divisor=16),
    )


def _same(got, expected):
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for a, b in zip(got, expected):
            _same(a, b)
        return
    assert got.keys() == expected.keys()
    depth, reference = got["predicted_depth"], expected["predicted_depth"]
    assert depth.shape == reference.shape
    assert (depth - reference).abs().max() <= 1e-5
    pixels, reference_pixels = np.asarray(got["depth"], int), np.asarray(expected["depth"], int)
    assert got["depth"].size == expected["depth"].size
    assert np.abs(pixels - reference_pixels).max() <= 1  # float rounding at a .0 boundary


def test_depths_match_the_reference(estimator, images):
    ours = pipeline("depth-estimation", model=estimator)
    theirs = transformers.pipeline("depth-estimation", model=estimator, device="cpu")
    expected = [theirs(image) for image in images]
    _same(ours(images), expected)
    _same(ours(images, batch_size=2), expected)
    _same(ours(images[0]), expected[0])
    assert np.asarray(expected[0]["depth"]).std() > 10  # a real depth image, not a flat one


def test_the_task_follows_from_the_checkpoint(estimator):
    assert isinstance(pipeline(model=estimator), DepthEstimationPipeline)


def test_bad_inputs_are_refused(estimator, images):
    pipe = pipeline("depth-estimation", model=estimator)
    with pytest.raises(PipelineError, match="Unknown option"):
        pipe(images[0], top_k=2)
    with pytest.raises(PipelineError, match="post_process_depth_estimation"):
        DepthEstimationPipeline(pipe.model, image_processor=object())
