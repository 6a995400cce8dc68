"""VideoMAE against transformers: both classes (mean pooling or not; losses too), weights both
ways, masked tubelets, and the image processor on single clips and batches."""

import numpy as np
import PIL.Image
import pytest
import torch
import transformers
from tfx_plugin_videomae import modeling_videomae as ours
from tfx_plugin_videomae.processing_videomae import VideoMAEImageProcessor

from tfx_core import AutoImageProcessor
from tfx_core.errors import ConfigError, ProcessorError

TINY = dict(
    image_size=32,
    patch_size=8,
    num_frames=4,
    tubelet_size=2,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    num_labels=5,
)
OUTPUTS = ("hidden_states", "attentions")


def _clips(batch=2):
    generator = torch.Generator().manual_seed(2)
    return {"pixel_values": torch.randn(batch, 4, 3, 32, 32, generator=generator)}


@pytest.mark.parametrize("mean_pooling", [True, False])
@pytest.mark.parametrize("labels", [torch.tensor([1, 3]), torch.tensor([[0.0, 1, 0, 1, 0]] * 2)])
def test_classifier_matches_the_reference(check_parity, mean_pooling, labels):
    config = transformers.VideoMAEConfig(**TINY, use_mean_pooling=mean_pooling)
    check_parity(
        ours.VideoMAEForVideoClassification,
        transformers.VideoMAEForVideoClassification,
        config,
        {**_clips(), "labels": labels},
        ("logits", "loss", *OUTPUTS),
    )


def test_base_model_with_masked_tubelets_matches_the_reference(check_parity):
    config = transformers.VideoMAEConfig(**TINY, use_mean_pooling=False, qkv_bias=False)
    masked = torch.zeros(2, 32, dtype=torch.bool)
    masked[:, ::3] = True
    check_parity(
        ours.VideoMAEModel,
        transformers.VideoMAEModel,
        config,
        {**_clips(), "bool_masked_pos": masked},
        ("last_hidden_state", *OUTPUTS),
    )


def test_image_processor_matches_the_reference(tmp_path):
    reference = transformers.VideoMAEImageProcessor(
        size={"shortest_edge": 36}, crop_size={"height": 32, "width": 32}
    )
    reference.save_pretrained(tmp_path)
    processor = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(processor, VideoMAEImageProcessor)
    rng = np.random.default_rng(0)
    clips = [list(rng.integers(0, 256, (4, 40, 60, 3), dtype=np.uint8)) for _ in range(2)]
    pil_clip = [PIL.Image.fromarray(frame) for frame in clips[0]]
    for videos in (clips[0], clips, pil_clip):
        expected = reference(videos, return_tensors="np")["pixel_values"]
        assert np.array_equal(processor(videos, return_tensors="np")["pixel_values"], expected)
    as_array = processor(np.stack(clips[0]), return_tensors="np")["pixel_values"]  # tfx extra
    assert np.array_equal(as_array, processor(clips[0], return_tensors="np")["pixel_values"])


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="tubelet_size"):
        ours.VideoMAEModel(ours.VideoMAEConfig(**{**TINY, "num_frames": 5}))
    model = ours.VideoMAEModel(ours.VideoMAEConfig(**TINY))
    with pytest.raises(ConfigError, match="positions"):
        model(pixel_values=torch.zeros(1, 2, 3, 32, 32))
    with pytest.raises(ConfigError, match="resize them"):
        model(pixel_values=torch.zeros(1, 4, 3, 24, 32))
    with pytest.raises(ProcessorError, match="clip"):
        VideoMAEImageProcessor()("not a video")
