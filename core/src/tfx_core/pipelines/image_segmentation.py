"""`image-segmentation`: a mask per class found in an image, from a semantic-segmentation model
(SegFormer).

Inputs: a local path, a PIL image or an array (or a list of them; `images=` is accepted too).
The image processor's `post_process_semantic_segmentation` upsamples the logits to the image's
size and keeps the best class per pixel. Output per image, one record per class present (in
class-id order): `{"score": None, "label", "mask"}`, the mask a PIL "L" image (255 inside,
0 outside), like the reference. Panoptic and instance models are not ported yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.sized_images import SizedImagePipeline

SUBTASKS = ("semantic",)


class ImageSegmentationPipeline(SizedImagePipeline):
    """Segment images with a semantic-segmentation head."""

    task = "image-segmentation"

    post_process = "post_process_semantic_segmentation"
    output_keys = ("logits",)

    def _sanitize_parameters(
        self,
        subtask: str | None = None,
        threshold: float | None = None,
        mask_threshold: float | None = None,
        overlap_mask_area_threshold: float | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if subtask is not None and subtask not in SUBTASKS:
            raise PipelineError(
                f"subtask {subtask!r} is not available for a {self.config.model_type} model: "
                f"tfx's segmentation models are semantic (subtask='semantic' or None)."
            )
        for name, value in (
            ("threshold", threshold),
            ("mask_threshold", mask_threshold),
            ("overlap_mask_area_threshold", overlap_mask_area_threshold),
        ):  # panoptic and instance options: accepted, unused by semantic models (as there)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise PipelineError(f"{name} must be a number, got {value!r}.")
        return {}, {}, {}

    def postprocess(self, chunks: list[dict]) -> list[dict]:
        from PIL import Image

        chunk = chunks[0]
        (segmentation,) = self.image_processor.post_process_semantic_segmentation(
            {"logits": chunk["logits"][None]}, [chunk["target_size"]]
        )
        segmentation = segmentation.numpy()
        id2label = self.config.id2label
        return [
            {
                "score": None,
                "label": id2label[int(label)],
                "mask": Image.fromarray(((segmentation == label) * 255).astype(np.uint8), mode="L"),
            }
            for label in np.unique(segmentation)
        ]


__all__ = ["ImageSegmentationPipeline"]
