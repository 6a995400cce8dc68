"""`SegformerImageProcessor`: 512x512 bilinear resize, rescale, ImageNet mean and std; and the
semantic post-processing (logits upsampled to each image's size, then the best class per pixel).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ProcessorError
from tfx_core.processing import ImageProcessor
from tfx_core.processing.image_processor import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD


class SegformerImageProcessor(ImageProcessor):
    """The reference's SegFormer preprocessing (images only; no segmentation maps)."""

    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size": {"height": 512, "width": 512},
        "image_mean": IMAGENET_DEFAULT_MEAN,
        "image_std": IMAGENET_DEFAULT_STD,
        "do_reduce_labels": False,
    }

    def preprocess(self, images: Any, segmentation_maps: Any = None, **kwargs: Any) -> Any:
        if segmentation_maps is not None:
            raise ProcessorError(
                "segmentation_maps are not supported: tfx's SegformerImageProcessor prepares "
                "inference inputs only."
            )
        return super().preprocess(images, **kwargs)

    def post_process_semantic_segmentation(
        self, outputs: Any, target_sizes: Any = None
    ) -> list[Any]:
        """One `[height, width]` map of class ids per image: logits upsampled (bilinear) to
        `target_sizes` ((height, width) per image) when given, else at the logits' size."""
        import torch

        logits = outputs["logits"]
        if target_sizes is None:
            return list(logits.argmax(dim=1))
        if len(target_sizes) != len(logits):
            raise ProcessorError(
                f"target_sizes has {len(target_sizes)} sizes but the logits have {len(logits)} "
                "images: give one (height, width) per image."
            )
        if isinstance(target_sizes, torch.Tensor):
            target_sizes = target_sizes.tolist()
        maps = []
        for image_logits, size in zip(logits, target_sizes):
            resized = torch.nn.functional.interpolate(
                image_logits[None],
                size=tuple(int(v) for v in size),
                mode="bilinear",
                align_corners=False,
            )
            maps.append(resized[0].argmax(dim=0))
        return maps
