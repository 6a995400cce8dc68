"""`depth-estimation`: a depth map per image from a monocular depth model (GLPN).

Inputs: a local path, a PIL image or an array (or a list of them; `images=` is accepted too).
The image processor's `post_process_depth_estimation` resizes the predicted depth to the image's
size. Output per image: `{"predicted_depth": tensor [height, width], "depth": PIL image}`, the
image being the depth scaled to 0-255 between its minimum and maximum, like the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.pipelines.sized_images import SizedImagePipeline


class DepthEstimationPipeline(SizedImagePipeline):
    """Predict the depth of every pixel of images with a depth-estimation head."""

    task = "depth-estimation"

    post_process = "post_process_depth_estimation"
    output_keys = ("predicted_depth",)

    def _sanitize_parameters(
        self, timeout: float | None = None, parameters: dict | None = None, **unknown: Any
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        return {}, {}, {}

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
