"""`depth-estimation`: a depth map per image from a monocular depth model (GLPN).

Inputs: a local path, a PIL image or an array (or a list of them; `images=` is accepted too).
The image processor's `post_process_depth_estimation` resizes the predicted depth to the image's
size. Output per image: `{"predicted_depth": tensor [height, width], "depth": PIL image}`, the
image being the depth scaled to 0-255 between its minimum and maximum, like the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline, collate_by_shape, forward_by_shape


class DepthEstimationPipeline(MediaPipeline):
    """Predict the depth of every pixel of images with a depth-estimation head."""

    task = "depth-estimation"

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        if not hasattr(self.image_processor, "post_process_depth_estimation"):
            raise PipelineError(
                f"The depth-estimation pipeline needs an image processor with "
                f"post_process_depth_estimation; {type(self.image_processor).__name__} has none."
            )

    def __call__(self, inputs: Any = None, **options: Any) -> Any:
        images = options.pop("images", None)
        if images is not None:
            inputs = images
        if inputs is None:
            raise PipelineError(
                "The depth-estimation pipeline needs images: pipe(image_or_images)."
            )
        return super().__call__(inputs, **options)

    def _sanitize_parameters(
        self, timeout: float | None = None, parameters: dict | None = None, **unknown: Any
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        return {}, {}, {}

    def preprocess(self, item: Any) -> dict:
        image = read_image(item)
        height, width = (image.height, image.width) if hasattr(image, "height") else image.shape[:2]
        (pixels,) = self.image_processor([image])["pixel_values"]
        return {"pixel_values": pixels, "target_size": (int(height), int(width))}

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        return collate_by_shape(super()._collate, features)

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return forward_by_shape(self.model, model_inputs, ("predicted_depth",))

    def postprocess(self, chunks: list[dict]) -> dict[str, Any]:
        from PIL import Image

        chunk = chunks[0]
        (result,) = self.image_processor.post_process_depth_estimation(
            {"predicted_depth": chunk["predicted_depth"][None]}, [chunk["target_size"]]
        )
        depth = result["predicted_depth"]
        values = depth.numpy()
        low, high = values.min(), values.max()
        with np.errstate(divide="ignore", invalid="ignore"):  # a flat map: NaN, as there
            scaled = (values - low) / (high - low)
        return {"predicted_depth": depth, "depth": Image.fromarray((scaled * 255).astype("uint8"))}


__all__ = ["DepthEstimationPipeline"]
