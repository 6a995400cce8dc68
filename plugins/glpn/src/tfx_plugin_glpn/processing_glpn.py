"""`GLPNImageProcessor`: sides rounded down to a multiple of 32 (bilinear), rescaled to [0, 1],
no normalisation; and the depth post-processing (bicubic resize to each image's size)."""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ProcessorError
from tfx_core.processing import ImageProcessor


class GLPNImageProcessor(ImageProcessor):
    """The reference's GLPN preprocessing."""

    defaults: ClassVar[dict[str, Any]] = {
        **ImageProcessor.defaults,
        "size_divisor": 32,
        "do_normalize": False,
    }

    def validate(self) -> None:
        super().validate()
        divisor = self.size_divisor
        if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor < 1:
            raise ProcessorError(f"size_divisor must be a positive int, got {divisor!r}.")

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        divisor = self.size_divisor
        new_height, new_width = height // divisor * divisor, width // divisor * divisor
        if not new_height or not new_width:
            raise ProcessorError(
                f"A {height}x{width} image is smaller than size_divisor ({divisor}) on a side: "
                "GLPN needs images at least that large."
            )
        return new_height, new_width

    def post_process_depth_estimation(
        self, outputs: Any, target_sizes: Any = None
    ) -> list[dict[str, Any]]:
        """`{"predicted_depth": [height, width]}` per image, resized (bicubic) to
        `target_sizes` ((height, width) per image) when given."""
        import torch

        depths = outputs["predicted_depth"]
        if target_sizes is not None and len(target_sizes) != len(depths):
            raise ProcessorError(
                f"target_sizes has {len(target_sizes)} sizes but there are {len(depths)} depth "
                "maps: give one (height, width) per image."
            )
        results = []
        for index, depth in enumerate(depths):
            if target_sizes is not None:
                size = tuple(int(v) for v in target_sizes[index])
                depth = torch.nn.functional.interpolate(
                    depth[None, None], size=size, mode="bicubic", align_corners=False
                ).squeeze()
            results.append({"predicted_depth": depth})
        return results
