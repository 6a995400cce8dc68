"""`object-detection`: labelled, scored boxes for the objects in images (DETR-style models such
as YOLOS).

Inputs: a local path, a PIL image or an array (or a list of them; `images=` is accepted too).
Each image is prepared alone, so its result does not depend on the batch; the image processor's
`post_process_object_detection` turns the model's outputs into boxes in the image's own pixels.
Output per image: `[{"score", "label", "box": {"xmin", "ymin", "xmax", "ymax"}}, ...]` for the
detections scoring above `threshold` (default 0.5), in the model's order, like the reference.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.sized_images import SizedImagePipeline


class ObjectDetectionPipeline(SizedImagePipeline):
    """Detect objects in images with an object-detection head."""

    task = "object-detection"

    post_process = "post_process_object_detection"
    output_keys = ("logits", "pred_boxes")

    def _sanitize_parameters(
        self, threshold: float | None = None, timeout: float | None = None, **unknown: Any
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        post: dict[str, Any] = {}
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                raise PipelineError(f"threshold must be a number, got {threshold!r}.")
            post["threshold"] = float(threshold)
        return {}, {}, post

    def postprocess(self, chunks: list[dict], threshold: float = 0.5) -> list[dict]:
        import torch

        chunk = chunks[0]
        outputs = {"logits": chunk["logits"][None], "pred_boxes": chunk["pred_boxes"][None]}
        size = torch.tensor([chunk["target_size"]], dtype=torch.int32)
        (found,) = self.image_processor.post_process_object_detection(outputs, threshold, size)
        id2label = self.config.id2label
        return [
            {"score": score, "label": id2label[label], "box": _box(box)}
            for score, label, box in zip(
                found["scores"].tolist(), found["labels"].tolist(), found["boxes"]
            )
        ]


def _box(box: Any) -> dict[str, int]:
    xmin, ymin, xmax, ymax = box.int().tolist()
    return {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}


__all__ = ["ObjectDetectionPipeline"]
