"""`BeitImageProcessor`: 256x256 bicubic resize, 224x224 center crop, mean = std = 0.5; the
core's semantic post-processing for the segmentation head."""

from typing import Any, ClassVar

from tfx_core.processing import ImageProcessor
from tfx_core.processing.segmentation import SemanticSegmentationImageProcessor


class BeitImageProcessor(SemanticSegmentationImageProcessor):
    """The reference's BEiT preprocessing for images (segmentation maps are not handled)."""

    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"height": 256, "width": 256},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "do_reduce_labels": False,
    }
