"""video-classification with VideoMAE against the reference pipeline.

A tiny VideoMAE classifier (random weights) is written by transformers with its image processor;
short videos are encoded with PyAV in the test, and both pipelines decode, sample and classify
them; labels and scores must be equal.
"""

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
av = pytest.importorskip("av")
pytest.importorskip("tfx_plugin_videomae")

from tfx_core import pipeline  # noqa: E402
from tfx_core.errors import PipelineError  # noqa: E402
from tfx_core.pipelines import VideoClassificationPipeline  # noqa: E402

TINY = dict(
    image_size=32,
    patch_size=8,
    num_frames=4,
    tubelet_size=2,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    id2label={i: f"action_{i}" for i in range(6)},
)


pytestmark = pytest.mark.usefixtures("one_thread")


def _write_video(path, frames, seed):
    rng = np.random.default_rng(seed)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = 48, 40, "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videomae")
    torch.manual_seed(0)
    model = transformers.VideoMAEForVideoClassification(transformers.VideoMAEConfig(**TINY))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    model.save_pretrained(folder)
    transformers.VideoMAEImageProcessor(
        size={"shortest_edge": 36}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    videos = [_write_video(folder / f"clip{i}.mp4", 10, seed=i) for i in range(3)]
    return str(folder), videos


def _same(got, expected):
    assert isinstance(got, list) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            _same(a, b)
            continue
        assert a["label"] == b["label"] and abs(a["score"] - b["score"]) <= 1e-5


@pytest.mark.parametrize(
    "options",
    [{}, {"top_k": 2, "frame_sampling_rate": 2}, {"function_to_apply": "sigmoid", "top_k": 9}],
)
def test_labels_match_the_reference(classifier, options):
    folder, videos = classifier
    ours = pipeline("video-classification", model=folder)
    theirs = transformers.pipeline("video-classification", model=folder, device="cpu")
    expected = [theirs(video, **options) for video in videos]
    _same(ours(videos, **options), expected)
    _same(ours(videos, batch_size=2, **options), expected)
    _same(ours(videos[0], **options), expected[0])
    assert len({result[0]["label"] for result in expected}) > 1 or len(expected[0]) > 1


def test_the_task_follows_from_the_checkpoint(classifier):
    assert isinstance(pipeline(model=classifier[0]), VideoClassificationPipeline)


def test_bad_inputs_are_refused(classifier, tmp_path):
    folder, videos = classifier
    pipe = pipeline("video-classification", model=folder)
    with pytest.raises(PipelineError, match="too few frames"):
        pipe(videos[0], frame_sampling_rate=5)
    with pytest.raises(PipelineError, match="No video file"):
        pipe(str(tmp_path / "missing.mp4"))
    with pytest.raises(PipelineError, match="URL"):
        pipe("https://example.com/clip.mp4")
    with pytest.raises(PipelineError, match="function_to_apply"):
        pipe(videos[0], function_to_apply="relu")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(PipelineError, match="Could not decode"):
        pipe(str(broken))
