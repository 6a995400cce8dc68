"""`YolosImageProcessor`: YOLOS's preprocessing and its detection post-processing.

Images are resized keeping their aspect ratio (shortest edge 800, longest at most 1333 by
default, then both sides cut down to a multiple of 16), rescaled, normalised with the ImageNet
mean and std, and a batch is padded (bottom and right, zeros) to its largest image.
`post_process_object_detection` turns the model's logits and boxes into scored, labelled boxes in
each image's own pixels, as the reference does.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.processing import ImageProcessor
from tfx_core.processing.features import BatchFeature
from tfx_core.processing.image_processor import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

#: Resized sides are cut down to a multiple of this.
SIDE_MULTIPLE = 16


def aspect_preserving_size(
    height: int, width: int, shortest: int, longest: int | None, multiple: int = SIDE_MULTIPLE
) -> tuple[int, int]:
    """(height, width) with the short side `shortest` (less when the long side would pass
    `longest`), keeping the aspect ratio, each side then cut down to a multiple of `multiple`."""
    exact = None
    if longest is not None:
        short_side, long_side = float(min(height, width)), float(max(height, width))
        if long_side / short_side * shortest > longest:
            exact = longest * short_side / long_side
            shortest = round(exact)
    scale = exact if exact is not None else shortest
    if width < height:
        new_height, new_width = int(scale * height / width), shortest
    elif min(height, width) == shortest:
        new_height, new_width = height, width
    else:
        new_height, new_width = shortest, int(scale * width / height)
    return new_height - new_height % multiple, new_width - new_width % multiple


class YolosImageProcessor(ImageProcessor):
    """The reference's YOLOS preprocessing (no annotations: inference inputs only)."""

    size_default_to_square: ClassVar[bool] = False
    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "format": "coco_detection",
        "size": {"shortest_edge": 800, "longest_edge": 1333},
        "image_mean": IMAGENET_DEFAULT_MEAN,
        "image_std": IMAGENET_DEFAULT_STD,
        "do_convert_annotations": True,
        "do_pad": True,
        "pad_size": None,
    }

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        size = self.size
        if "height" in size:
            return size["height"], size["width"]
        new_height, new_width = aspect_preserving_size(
            height, width, size["shortest_edge"], size.get("longest_edge")
        )
        if new_height < 1 or new_width < 1:
            raise ProcessorError(
                f"A {height}x{width} image resized with size={size} would have a side under "
                f"{SIDE_MULTIPLE} pixels: raise the size or crop the image."
            )
        return new_height, new_width

    def preprocess(self, images: Any, **kwargs: Any) -> BatchFeature:
        """`pixel_values` for one image or a list; with `do_pad`, padded to one size."""
        return_tensors = kwargs.pop("return_tensors", None)
        for unsupported in ("annotations", "masks_path", "return_segmentation_masks"):
            if kwargs.pop(unsupported, None) is not None:
                raise ProcessorError(
                    f"{unsupported} is not supported: tfx's YolosImageProcessor prepares "
                    "inference inputs only."
                )
        data_format = kwargs.get("data_format", "channels_first")
        batch = super().preprocess(images, **kwargs)["pixel_values"]
        pad, pad_size = kwargs.get("do_pad", self.do_pad), kwargs.get("pad_size", self.pad_size)
        if pad and data_format == "channels_first":
            batch = _pad_bottom_right(batch, pad_size)
        return BatchFeature({"pixel_values": batch}, tensor_type=return_tensors)

    def post_process_object_detection(
        self, outputs: Any, threshold: float = 0.5, target_sizes: Any = None
    ) -> list[dict[str, Any]]:
        """Per image: `scores`, `labels` and `boxes` (x0, y0, x1, y1) of the detections scoring
        above `threshold`; boxes in pixels of `target_sizes` ((height, width) per image), else
        relative to the image."""
        import torch

        logits, boxes = outputs["logits"], outputs["pred_boxes"]
        if target_sizes is not None and len(target_sizes) != len(logits):
            raise ProcessorError(
                f"target_sizes has {len(target_sizes)} sizes but the outputs have "
                f"{len(logits)} images: give one (height, width) per image."
            )
        scores, labels = torch.softmax(logits, -1)[..., :-1].max(-1)
        center_x, center_y, width, height = boxes.unbind(-1)
        corners = torch.stack(
            [
                center_x - 0.5 * width,
                center_y - 0.5 * height,
                center_x + 0.5 * width,
                center_y + 0.5 * height,
            ],
            dim=-1,
        )
        if target_sizes is not None:
            if isinstance(target_sizes, list):
                heights = torch.Tensor([size[0] for size in target_sizes])
                widths = torch.Tensor([size[1] for size in target_sizes])
            else:
                heights, widths = target_sizes.unbind(1)
            scale = torch.stack([widths, heights, widths, heights], dim=1).to(corners.device)
            corners = corners * scale[:, None, :]
        results = []
        for score, label, box in zip(scores, labels, corners):
            kept = score > threshold
            results.append({"scores": score[kept], "labels": label[kept], "boxes": box[kept]})
        return results


def _pad_bottom_right(batch: list[np.ndarray], pad_size: dict | None) -> list[np.ndarray]:
    if pad_size is not None:
        height, width = pad_size["height"], pad_size["width"]
    else:
        height = max(image.shape[-2] for image in batch)
        width = max(image.shape[-1] for image in batch)
    padded = []
    for image in batch:
        extra_h, extra_w = height - image.shape[-2], width - image.shape[-1]
        if extra_h < 0 or extra_w < 0:
            raise ProcessorError(
                f"pad_size {pad_size} is smaller than an image ({image.shape[-2:]}): make it at "
                "least as large as the resized images."
            )
        padded.append(np.pad(image, ((0, 0), (0, extra_h), (0, extra_w))))
    return padded
