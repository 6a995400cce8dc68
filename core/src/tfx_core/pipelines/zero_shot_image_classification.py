"""`zero-shot-image-classification`: score an image against labels chosen at call time (CLIP).

Each label is written into `hypothesis_template` ("This is a photo of {}."), the texts and the
image go through the model together, and the softmax of `logits_per_image` ranks the labels:
`[{"score", "label"}, ...]`, best first, like the reference.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline

_TEMPLATE = "This is a photo of {}."


class ZeroShotImageClassificationPipeline(MediaPipeline):
    """Rank candidate labels for images with a text-image model (CLIP-style)."""

    task = "zero-shot-image-classification"
    needs_tokenizer = True

    def __call__(self, inputs: Any, candidate_labels: Any = None, **options: Any) -> Any:
        if candidate_labels is not None:
            options["candidate_labels"] = candidate_labels
        return super().__call__(inputs, **options)

    def _sanitize_parameters(
        self,
        candidate_labels: Any = None,
        hypothesis_template: str | None = None,
        tokenizer_kwargs: dict | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        if candidate_labels is not None:
            if isinstance(candidate_labels, str):
                candidate_labels = [label.strip() for label in candidate_labels.split(",")]
            if not candidate_labels or not all(isinstance(x, str) for x in candidate_labels):
                raise PipelineError(
                    f"candidate_labels must be a non-empty list of strings, got {candidate_labels!r}."
                )
            pre["candidate_labels"] = list(candidate_labels)
        if hypothesis_template is not None:
            if "{}" not in hypothesis_template:
                raise PipelineError(
                    f"hypothesis_template must contain '{{}}' for the label, got "
                    f"{hypothesis_template!r}."
                )
            pre["hypothesis_template"] = hypothesis_template
        if tokenizer_kwargs is not None:
            pre["tokenizer_kwargs"] = dict(tokenizer_kwargs)
        return pre, {}, {}

    def preprocess(
        self,
        item: Any,
        candidate_labels: list[str] | None = None,
        hypothesis_template: str = _TEMPLATE,
        tokenizer_kwargs: dict | None = None,
    ) -> dict:
        if candidate_labels is None:
            raise PipelineError(
                "zero-shot-image-classification needs candidate_labels=[...] (the labels to rank)."
            )
        (pixels,) = self.image_processor(read_image(item))["pixel_values"]
        texts = [hypothesis_template.replace("{}", label) for label in candidate_labels]
        options = {"padding": True, **(tokenizer_kwargs or {})}
        text = self.tokenizer(texts, return_tensors="pt", **options)
        return {"pixel_values": pixels, "text": dict(text), "candidate_labels": candidate_labels}

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        return {"features": features}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        logits = []
        for feature in model_inputs["features"]:
            (pixel_values,) = super()._collate([{"pixel_values": feature["pixel_values"]}]).values()
            text = {
                key: value.to(self.device)
                for key, value in feature["text"].items()
                if key in self._accepted_inputs
            }
            outputs = self.model(pixel_values=pixel_values, **text)
            logits.append(outputs["logits_per_image"][0].detach().float().cpu())
        return {"logits": logits}

    def postprocess(self, chunks: list[dict]) -> list[dict]:
        chunk = chunks[0]
        scores = chunk["logits"].softmax(dim=-1).squeeze(-1).tolist()
        if not isinstance(scores, list):
            scores = [scores]
        ranked = sorted(zip(scores, chunk["candidate_labels"]), key=lambda pair: -pair[0])
        return [{"score": score, "label": label} for score, label in ranked]
