"""`audio-classification`: the model's labels for a clip, best first (keyword spotting, ...).

Inputs as for speech recognition (a file, a waveform, or `{"array", "sampling_rate"}`). Output
per clip: `[{"score", "label"}, ...]`, `top_k` long (default 5, at most the number of labels),
through softmax (or `function_to_apply="sigmoid"` / `"none"`), like the reference.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.media import MediaPipeline
from tfx_core.processing.audio_io import as_waveform

_FUNCTIONS = ("softmax", "sigmoid", "none")


class AudioClassificationPipeline(MediaPipeline):
    """Classify audio clips with an audio-classification head."""

    task = "audio-classification"
    processor_kind = "feature_extractor"

    def _sanitize_parameters(
        self, top_k: int | None = None, function_to_apply: str | None = None, **unknown: Any
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        post: dict[str, Any] = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise PipelineError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        if function_to_apply is not None:
            if function_to_apply not in _FUNCTIONS:
                raise PipelineError(
                    f"function_to_apply must be one of {', '.join(_FUNCTIONS)}, got "
                    f"{function_to_apply!r}."
                )
            post["function_to_apply"] = function_to_apply
        return {}, {}, post

    def preprocess(self, item: Any) -> dict:
        extractor = self.feature_extractor
        waveform = as_waveform(item, extractor.sampling_rate)
        processed = extractor(waveform, sampling_rate=extractor.sampling_rate)
        return {key: value[0] for key, value in processed.items()}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    def postprocess(
        self, chunks: list[dict], top_k: int = 5, function_to_apply: str = "softmax"
    ) -> list[dict]:
        logits = chunks[0]["logits"]
        if function_to_apply == "softmax":
            scores = logits.softmax(-1)
        elif function_to_apply == "sigmoid":
            scores = logits.sigmoid()
        else:
            scores = logits
        values, indices = scores.topk(min(top_k, self.config.num_labels))
        id2label = self.config.id2label
        return [
            {"score": score, "label": id2label[index]}
            for score, index in zip(values.tolist(), indices.tolist())
        ]
