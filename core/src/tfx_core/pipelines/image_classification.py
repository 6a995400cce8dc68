"""`image-classification`: the model's labels for an image, best first.

Inputs: a local path, a PIL image or a numpy array (or a list / iterable of them). Output per
image: `[{"label", "score"}, ...]` sorted by score, `top_k` long (default 5, at most the number
of labels), scores through softmax (sigmoid for one label or multi-label models) like the
reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.media import MediaPipeline
from tfx_core.pipelines.numeric import sigmoid, softmax
from tfx_core.processing.image_ops import load_image

_FUNCTIONS = ("sigmoid", "softmax", "none")


def read_image(item: Any) -> Any:
    """A PIL RGB image from a path or a PIL image; arrays pass through unchanged."""
    if isinstance(item, np.ndarray) or hasattr(item, "detach"):
        return item
    return load_image(item)


class ImageClassificationPipeline(MediaPipeline):
    """Classify images with an image-classification head."""

    task = "image-classification"

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        function_to_apply: str | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        post: dict[str, Any] = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise PipelineError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        if function_to_apply is not None:
            name = str(getattr(function_to_apply, "value", function_to_apply)).lower()
            if name not in _FUNCTIONS:
                raise PipelineError(
                    f"function_to_apply must be one of {', '.join(_FUNCTIONS)}, got "
                    f"{function_to_apply!r}."
                )
            post["function_to_apply"] = name
        return {}, {}, post

    def preprocess(self, item: Any) -> dict:
        (pixels,) = self.image_processor(read_image(item))["pixel_values"]
        return {"pixel_values": pixels}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    def _default_function(self) -> str:
        problem = getattr(self.config, "problem_type", None)
        labels = self.config.num_labels
        if problem == "multi_label_classification" or labels == 1:
            return "sigmoid"
        if problem == "single_label_classification" or labels > 1:
            return "softmax"
        return "none"

    def postprocess(
        self, chunks: list[dict], top_k: int = 5, function_to_apply: str | None = None
    ) -> list[dict]:
        logits = chunks[0]["logits"].numpy()
        function = function_to_apply or self._default_function()
        scores = {"sigmoid": sigmoid, "softmax": softmax}.get(function, lambda x: x)(logits)
        id2label = self.config.id2label
        ranked = [{"label": id2label[i], "score": score.item()} for i, score in enumerate(scores)]
        ranked.sort(key=lambda entry: entry["score"], reverse=True)
        return ranked[: min(top_k, self.config.num_labels)]
