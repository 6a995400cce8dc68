"""`ImageProcessor`: images to `pixel_values`, configured like the reference's image processors.

One class covers the common recipe (ViT, DeiT, BEiT, CLIP, ...): convert to RGB, resize (to a
fixed size or a shortest edge), center crop, rescale, normalize, channels first. An architecture
whose processor differs only in its defaults subclasses it and sets `defaults`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.processing import image_ops
from tfx_core.processing.base import Preprocessor, require
from tfx_core.processing.features import BatchFeature

IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5]
IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5]
IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406]
IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225]
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

_SIZE_KEYS = ({"height", "width"}, {"shortest_edge"}, {"shortest_edge", "longest_edge"})


def size_dict(size: Any, *, square: bool, name: str = "size") -> dict[str, int]:
    """The reference's size forms as a dict: an int becomes a square or a shortest edge."""
    if isinstance(size, bool):
        raise ProcessorError(f"{name} must be an int or a dict, got {size!r}.")
    if isinstance(size, int) and size > 0:
        return {"height": size, "width": size} if square else {"shortest_edge": size}
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return {"height": int(size[0]), "width": int(size[1])}
    if (
        isinstance(size, dict)
        and set(size) in _SIZE_KEYS
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size.values())
    ):
        return dict(size)
    raise ProcessorError(
        f"{name} must be a positive int, (height, width), or a dict with 'height' and 'width' "
        f"or 'shortest_edge'; got {size!r}."
    )


class ImageProcessor(Preprocessor):
    """Resize, center-crop, rescale and normalize images into a `pixel_values` batch."""

    type_key = "image_processor_type"
    model_input_names = ["pixel_values"]
    #: How an int `size` is read: a square (ViT) or the shortest edge (CLIP).
    size_default_to_square: ClassVar[bool] = True
    defaults: ClassVar[dict[str, Any]] = {
        "do_convert_rgb": None,
        "do_resize": True,
        "size": {"height": 224, "width": 224},
        "resample": 2,
        "do_center_crop": False,
        "crop_size": None,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": IMAGENET_STANDARD_MEAN,
        "image_std": IMAGENET_STANDARD_STD,
    }

    def validate(self) -> None:
        self.size = size_dict(self.size, square=self.size_default_to_square)
        if self.crop_size is not None:
            self.crop_size = size_dict(self.crop_size, square=True, name="crop_size")
            require(
                "height" in self.crop_size,
                f"crop_size must give 'height' and 'width', got {self.crop_size!r}.",
            )
        require(
            self.resample in image_ops.RESAMPLING_NAMES,
            f"resample must be a Pillow filter code {sorted(image_ops.RESAMPLING_NAMES)} "
            f"({', '.join(image_ops.RESAMPLING_NAMES.values())}), got {self.resample!r}.",
        )
        require(
            isinstance(self.rescale_factor, (int, float)),
            f"rescale_factor must be a number, got {self.rescale_factor!r}.",
        )
        require(
            not self.do_center_crop or self.crop_size is not None,
            "do_center_crop is set but crop_size is not: give crop_size (e.g. 224).",
        )

    def __call__(self, images: Any, **kwargs: Any) -> BatchFeature:
        return self.preprocess(images, **kwargs)

    def preprocess(
        self,
        images: Any,
        *,
        return_tensors: Any = None,
        input_data_format: str | None = None,
        data_format: str = "channels_first",
        **overrides: Any,
    ) -> BatchFeature:
        """`pixel_values` for one image or a list of them; settings may be overridden per call.

        Images are PIL images, numpy arrays or tensors ((H, W, C) or (C, H, W)), or local paths.
        """
        unknown = set(overrides) - set(self.defaults)
        if unknown:
            raise ProcessorError(
                f"Unknown image processor option(s): {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(sorted(self.defaults))}."
            )
        settings = self if not overrides else type(self)(**{**self.to_dict(), **overrides})
        batch = [settings._one(image, input_data_format, data_format) for image in _as_list(images)]
        return BatchFeature({"pixel_values": batch}, tensor_type=return_tensors)

    def _one(self, image: Any, layout: str | None, data_format: str) -> np.ndarray:
        if isinstance(image, str):
            image = image_ops.load_image(image)
        if self.do_convert_rgb:
            image = image_ops.convert_rgb(image)
        array = image_ops.to_channels_last(image_ops.to_array(image), layout)
        if self.do_resize:
            height, width = self._output_size(array.shape[0], array.shape[1])
            array = image_ops.resize(array, height, width, self.resample)
        if self.do_center_crop:
            array = image_ops.center_crop(array, self.crop_size["height"], self.crop_size["width"])
        if self.do_rescale:
            array = image_ops.rescale(array, self.rescale_factor)
        if self.do_normalize:
            array = image_ops.normalize(array, self.image_mean, self.image_std)
        if data_format == "channels_first":
            return np.transpose(array, (2, 0, 1))
        if data_format == "channels_last":
            return array
        raise ProcessorError(
            f"data_format must be 'channels_first' or 'channels_last', got {data_format!r}."
        )

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        size = self.size
        if "height" in size:
            return size["height"], size["width"]
        return image_ops.shortest_edge_size(
            height, width, size["shortest_edge"], size.get("longest_edge")
        )


def _as_list(images: Any) -> list:
    if isinstance(images, (list, tuple)):
        if not images:
            raise ProcessorError("Got an empty list of images.")
        return list(images)
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return list(images)
    if hasattr(images, "dim") and images.dim() == 4:
        return list(images)
    return [images]
