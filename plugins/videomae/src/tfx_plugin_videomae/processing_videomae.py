"""`VideoMAEImageProcessor`: every frame of a clip resized (shortest edge 224, bilinear),
center-cropped to 224x224, rescaled and normalised with the ImageNet mean and std; a clip
becomes `[frames, channels, height, width]`, a batch `[videos, frames, ...]`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.processing import ImageProcessor
from tfx_core.processing.features import BatchFeature
from tfx_core.processing.image_processor import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD


def _is_frame(value: Any) -> bool:
    if isinstance(value, np.ndarray) or hasattr(value, "dim"):
        return len(value.shape) == 3
    return type(value).__module__.startswith("PIL.")


def batched_videos(videos: Any) -> list[list[Any]]:
    """A frame, a clip (a list of frames or a 4-D array) or a list of clips, as clips."""
    if _is_frame(videos):
        return [[videos]]
    if (isinstance(videos, np.ndarray) or hasattr(videos, "dim")) and len(videos.shape) == 4:
        return [list(videos)]
    if isinstance(videos, (list, tuple)) and videos:
        if all(_is_frame(frame) for frame in videos):
            return [list(videos)]
        if all(isinstance(clip, (list, tuple)) and clip for clip in videos):
            return [batched_videos(clip)[0] for clip in videos]
    raise ProcessorError(
        "videos must be a clip (a list of frames: PIL images or [height, width, channels] "
        f"arrays, or a 4-D array) or a list of clips; got {type(videos).__name__}."
    )


class VideoMAEImageProcessor(ImageProcessor):
    """The reference's VideoMAE preprocessing, frame by frame."""

    size_default_to_square: ClassVar[bool] = False
    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"shortest_edge": 224},
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "image_mean": IMAGENET_DEFAULT_MEAN,
        "image_std": IMAGENET_DEFAULT_STD,
    }

    def preprocess(self, videos: Any, **kwargs: Any) -> BatchFeature:
        return_tensors = kwargs.pop("return_tensors", None)
        clips = []
        for clip in batched_videos(videos):
            frames = super().preprocess(clip, **kwargs)["pixel_values"]
            clips.append(np.stack(frames))
        return BatchFeature({"pixel_values": clips}, tensor_type=return_tensors)
