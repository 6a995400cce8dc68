"""`CLIPImageProcessor` and `CLIPProcessor` under the names checkpoints record."""

from typing import Any, ClassVar

from tfx_core.processing import ImageProcessor, Processor
from tfx_core.processing.image_processor import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD


class CLIPImageProcessor(ImageProcessor):
    """RGB, shortest edge to 224 (bicubic), 224x224 center crop, CLIP's mean and std."""

    size_default_to_square = False
    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "do_convert_rgb": True,
        "size": {"shortest_edge": 224},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD,
    }


class CLIPProcessor(Processor):
    """CLIP's tokenizer and image processor: texts and images in one call."""
