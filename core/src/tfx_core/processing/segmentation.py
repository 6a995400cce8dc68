"""`SemanticSegmentationImageProcessor`: an image processor for models that label every pixel
(SegFormer, BEiT with UperNet), with the reference's semantic post-processing: the logits
upsampled (bilinear) to each image's size, then the best class per pixel.

Training inputs (`segmentation_maps`) are not prepared: such a call is refused by name.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import ProcessorError
from tfx_core.processing.image_processor import ImageProcessor


class SemanticSegmentationImageProcessor(ImageProcessor):
    """The core image recipe plus `post_process_semantic_segmentation`."""

    def preprocess(self, images: Any, segmentation_maps: Any = None, **kwargs: Any) -> Any:
        if segmentation_maps is not None:
            raise ProcessorError(
                f"segmentation_maps are not supported: tfx's {type(self).__name__} prepares "
                "inference inputs only; pass the label maps to the model as `labels` yourself."
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
