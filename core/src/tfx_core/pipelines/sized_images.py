"""`SizedImagePipeline`: the shared front of the image tasks whose outputs are sized to each
input image (depth estimation, segmentation, object detection).

It reads images (`pipe(image_or_images)` or `images=`), prepares each alone and records its
(height, width) as `target_size`, batches images of one size together (else one at a time),
and returns the model outputs named in `output_keys`; the image processor's `post_process`
method (checked at construction) maps them back to each image's own pixels.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline, collate_by_shape, forward_by_shape


class SizedImagePipeline(MediaPipeline):
    """Images in, per-image outputs sized to the image through the processor's `post_process`."""

    #: The image processor method that sizes the outputs to the image (`post_process_...`).
    post_process: ClassVar[str]
    #: The model outputs the task reads.
    output_keys: ClassVar[tuple[str, ...]]

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        if not hasattr(self.image_processor, self.post_process):
            raise PipelineError(
                f"The {self.task} pipeline needs an image processor with {self.post_process}; "
                f"{type(self.image_processor).__name__} has none."
            )

    def __call__(self, inputs: Any = None, **options: Any) -> Any:
        images = options.pop("images", None)
        if images is not None:
            inputs = images
        if inputs is None:
            raise PipelineError(f"The {self.task} pipeline needs images: pipe(image_or_images).")
        return super().__call__(inputs, **options)

    def preprocess(self, item: Any) -> dict:
        image = read_image(item)
        height, width = (image.height, image.width) if hasattr(image, "height") else image.shape[:2]
        (pixels,) = self.image_processor([image])["pixel_values"]
        return {"pixel_values": pixels, "target_size": (int(height), int(width))}

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        return collate_by_shape(super()._collate, features)

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return forward_by_shape(self.model, model_inputs, self.output_keys)


__all__ = ["SizedImagePipeline"]
