"""`text-classification` (alias `sentiment-analysis`): labels for a text or a text pair.

Output shapes follow the reference: without `top_k`, one `{"label", "score"}` per input (a single
string gives a one-element list); with `top_k` (an int, or None for every label), a list of such
dicts sorted by score for each input.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.numeric import sigmoid, softmax

_FUNCTIONS = ("sigmoid", "softmax", "none")
_UNSET: Any = object()


class TextClassificationPipeline(Pipeline):
    """Classify texts (`"a text"`) or pairs (`{"text": ..., "text_pair": ...}`)."""

    task = "text-classification"
    text_keys = ("text", "text_pair")

    def _sanitize_parameters(
        self,
        top_k: Any = _UNSET,
        function_to_apply: str | None = None,
        return_all_scores: bool | None = None,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        padding: Any = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        if truncation is not None:
            pre["truncation"] = truncation
        if max_length is not None:
            pre["max_length"] = max_length
        post: dict[str, Any] = {}
        if top_k is not _UNSET:
            if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
                raise PipelineError(f"top_k must be a positive int or None, got {top_k!r}.")
            post["top_k"], post["legacy"] = top_k, False
        elif return_all_scores is not None:  # deprecated spelling kept for ported code
            post["top_k"] = None if return_all_scores else 1
        if function_to_apply is not None:
            name = str(getattr(function_to_apply, "value", function_to_apply)).lower()
            if name not in _FUNCTIONS:
                raise PipelineError(
                    f"function_to_apply must be one of {', '.join(_FUNCTIONS)}, got "
                    f"{function_to_apply!r}."
                )
            post["function_to_apply"] = name
        return pre, {}, post

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self, items: list[Any], truncation: bool | str = True, max_length: int | None = None
    ) -> list[list[dict]]:
        singles: list[tuple[int, str]] = []
        pairs: list[tuple[int, str, str]] = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                singles.append((index, item))
            elif isinstance(item, dict):
                if "text" not in item or not isinstance(item["text"], str):
                    raise PipelineError(
                        'A text pair must be a dict {"text": ..., "text_pair": ...}; got '
                        f"{item!r}."
                    )
                if item.get("text_pair") is None:
                    singles.append((index, item["text"]))
                else:
                    pairs.append((index, item["text"], item["text_pair"]))
            else:
                raise PipelineError(
                    f"The {self.task} pipeline takes strings or "
                    '{"text": ..., "text_pair": ...} dicts, got '
                    f"{type(item).__name__}: {item!r}."
                )
        features: list[list[dict]] = [[] for _ in items]
        encode = self.encoder.encode
        for (index, _), encodings in zip(
            singles,
            encode([t for _, t in singles], truncation=truncation, max_length=max_length),
        ):
            features[index] = [_feature(encodings[0])]
        for (index, _, _), encodings in zip(
            pairs,
            encode(
                [t for _, t, _ in pairs],
                [p for _, _, p in pairs],
                truncation=truncation,
                max_length=max_length,
            ),
        ):
            features[index] = [_feature(encodings[0])]
        return features

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    # -------------------------------------------------------------- postprocess
    def _default_function(self) -> str:
        config = self.config
        problem_type = getattr(config, "problem_type", None)
        num_labels = len(getattr(config, "id2label", {}) or {})
        if problem_type == "regression":
            return "none"
        if problem_type == "multi_label_classification" or num_labels == 1:
            return "sigmoid"
        if problem_type == "single_label_classification" or num_labels > 1:
            return "softmax"
        configured = getattr(config, "function_to_apply", None)
        return str(configured).lower() if configured in _FUNCTIONS else "none"

    def postprocess(
        self,
        chunks: list[dict],
        top_k: int | None = 1,
        function_to_apply: str | None = None,
        legacy: bool = True,
    ) -> Any:
        logits = chunks[0]["logits"].numpy()
        function = function_to_apply or self._default_function()
        if function == "sigmoid":
            scores = sigmoid(logits)
        elif function == "softmax":
            scores = softmax(logits)
        else:
            scores = logits
        id2label = self.config.id2label
        if legacy and top_k == 1:
            best = int(scores.argmax())
            return {"label": id2label[best], "score": float(scores[best])}
        ranked = [{"label": id2label[i], "score": float(s)} for i, s in enumerate(scores)]
        if not legacy:
            ranked.sort(key=lambda entry: entry["score"], reverse=True)
            if top_k is not None:
                ranked = ranked[:top_k]
        return ranked

    def _wrap_single(self, result: Any, inputs: Any, post: dict) -> Any:
        return [result] if isinstance(inputs, str) and post.get("legacy", True) else result


def _feature(encoding: Any) -> dict:
    return {
        "input_ids": encoding.ids,
        "attention_mask": encoding.attention_mask,
        "token_type_ids": encoding.type_ids,
    }
