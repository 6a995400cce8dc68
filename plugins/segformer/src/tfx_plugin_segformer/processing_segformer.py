"""`SegformerImageProcessor`: 512x512 bilinear resize, rescale, ImageNet mean and std; the
core's semantic post-processing (logits upsampled to each image's size, then the best class per
pixel).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.processing import ImageProcessor
from tfx_core.processing.image_processor import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from tfx_core.processing.segmentation import SemanticSegmentationImageProcessor


class SegformerImageProcessor(SemanticSegmentationImageProcessor):
    """The reference's SegFormer preprocessing (images only; no segmentation maps)."""

    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"height": 512, "width": 512},
        "image_mean": IMAGENET_DEFAULT_MEAN,
        "image_std": IMAGENET_DEFAULT_STD,
        "do_reduce_labels": False,
    }
