"""`DeiTImageProcessor`: 256x256 bicubic resize, 224x224 center crop, ImageNet mean and std."""

from typing import Any, ClassVar

from tfx_core.processing import ImageProcessor
from tfx_core.processing.image_processor import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD


class DeiTImageProcessor(ImageProcessor):
    """The reference's DeiT preprocessing (the core recipe with DeiT's defaults)."""

    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"height": 256, "width": 256},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "image_mean": IMAGENET_DEFAULT_MEAN,
        "image_std": IMAGENET_DEFAULT_STD,
    }
