"""`ViltImageProcessor`: the shorter side to 384 (the longer at most 1333/800 of it), both
rounded down to a multiple of 32, bicubic; rescale, normalise (mean = std = 0.5); a batch is
padded (bottom and right) to its largest image, with `pixel_mask` marking the real pixels."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.processing import ImageProcessor
from tfx_core.processing.features import BatchFeature


def shorter_side_size(
    height: int, width: int, shorter: int, longer: int, divisor: int
) -> tuple[int, int]:
    """(height, width) with the shorter side `shorter` and the longer at most `longer`,
    rounded to the nearest pixel, then down to a multiple of `divisor`."""
    scale = shorter / min(height, width)
    new_height, new_width = (
        (shorter, scale * width) if height < width else (scale * height, shorter)
    )
    if max(new_height, new_width) > longer:
        scale = longer / max(new_height, new_width)
        new_height, new_width = scale * new_height, scale * new_width
    new_height, new_width = int(new_height + 0.5), int(new_width + 0.5)
    return new_height // divisor * divisor, new_width // divisor * divisor


class ViltImageProcessor(ImageProcessor):
    """The reference's ViLT preprocessing."""

    size_default_to_square: ClassVar[bool] = False
    model_input_names = ["pixel_values", "pixel_mask"]
    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"shortest_edge": 384},
        "size_divisor": 32,
        "resample": 3,
        "do_pad": True,
    }

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        size = self.size
        if "height" in size:
            return size["height"], size["width"]
        shorter = size["shortest_edge"]
        new_height, new_width = shorter_side_size(
            height, width, shorter, int(1333 / 800 * shorter), self.size_divisor
        )
        if new_height < 1 or new_width < 1:
            raise ProcessorError(
                f"A {height}x{width} image resized with size={size} would lose a side: raise "
                "the size or crop the image."
            )
        return new_height, new_width

    def preprocess(self, images: Any, **kwargs: Any) -> BatchFeature:
        """`pixel_values` and `pixel_mask` for one image or a list (padded to one size)."""
        return_tensors = kwargs.pop("return_tensors", None)
        do_pad = kwargs.pop("do_pad", self.do_pad)
        batch = super().preprocess(images, **kwargs)["pixel_values"]
        if not do_pad:
            return BatchFeature({"pixel_values": batch}, tensor_type=return_tensors)
        height = max(image.shape[-2] for image in batch)
        width = max(image.shape[-1] for image in batch)
        padded, masks = [], []
        for image in batch:
            extra = ((0, 0), (0, height - image.shape[-2]), (0, width - image.shape[-1]))
            padded.append(np.pad(image, extra))
            mask = np.zeros((height, width), dtype=np.int64)
            mask[: image.shape[-2], : image.shape[-1]] = 1
            masks.append(mask)
        return BatchFeature(
            {"pixel_values": padded, "pixel_mask": masks}, tensor_type=return_tensors
        )
