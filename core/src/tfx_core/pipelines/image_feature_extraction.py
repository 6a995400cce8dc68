"""`image-feature-extraction`: an image's hidden states (or pooled vector) as nested lists.

Like the reference, each image gives `[1, patches, hidden]` as lists (the batch axis kept), or
with `pool=True` the model's `pooler_output` `[1, hidden]`; `return_tensors=True` gives tensors.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline


class ImageFeatureExtractionPipeline(MediaPipeline):
    """The base model's outputs for each image."""

    task = "image-feature-extraction"

    def _sanitize_parameters(
        self,
        pool: bool | None = None,
        return_tensors: bool | None = None,
        image_processor_kwargs: dict | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre = {"options": dict(image_processor_kwargs or {})} if image_processor_kwargs else {}
        post: dict[str, Any] = {}
        if pool is not None:
            post["pool"] = bool(pool)
        if return_tensors is not None:
            post["return_tensors"] = bool(return_tensors)
        return pre, {}, post

    def preprocess(self, item: Any, options: dict | None = None) -> dict:
        (pixels,) = self.image_processor(read_image(item), **(options or {}))["pixel_values"]
        return {"pixel_values": pixels}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = self.model(**model_inputs)
        result = {"hidden": outputs[0]}
        pooled = outputs.get("pooler_output") if hasattr(outputs, "get") else None
        if pooled is not None:
            result["pooler_output"] = pooled
        return result

    def postprocess(self, chunks: list[dict], pool: bool = False, return_tensors: bool = False):
        chunk = chunks[0]
        if pool:
            if "pooler_output" not in chunk:
                raise PipelineError(
                    "pool=True needs a model with a pooler (its outputs have no pooler_output); "
                    "use pool=False for the hidden states."
                )
            values = chunk["pooler_output"][None]
        else:
            values = chunk["hidden"][None]
        return values if return_tensors else values.tolist()
