"""`zero-shot-classification`: classify into labels chosen at call time, with an NLI model.

Each candidate label becomes a hypothesis ("This example is {label}.") paired with the text; the
model's *entailment* logit (its label found in `label2id`) scores it. Scores are a softmax over
the labels, or with `multi_label=True` a per-label softmax of entailment against contradiction.
Result: `{"sequence", "labels", "scores"}` with labels sorted best first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.numeric import softmax

DEFAULT_TEMPLATE = "This example is {}."


class ZeroShotClassificationPipeline(Pipeline):
    """`pipe("text", candidate_labels=["a", "b"])` with a sequence-classification NLI model."""

    task = "zero-shot-classification"

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        config = kwargs.get("config") or getattr(model, "config", None)
        self.entailment_id = _entailment_id(config)
        super().__init__(model, tokenizer, **kwargs)

    def _sanitize_parameters(
        self,
        candidate_labels: str | list[str] | None = None,
        hypothesis_template: str | None = None,
        multi_label: bool | None = None,
        multi_class: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        if candidate_labels is not None:
            if isinstance(candidate_labels, str):
                candidate_labels = [c.strip() for c in candidate_labels.split(",") if c.strip()]
            if not isinstance(candidate_labels, (list, tuple)) or not all(
                isinstance(label, str) and label.strip() for label in candidate_labels
            ):
                raise PipelineError(
                    "candidate_labels must be a list of non-empty strings (or one "
                    f"comma-separated string), got {candidate_labels!r}."
                )
            pre["candidate_labels"] = list(candidate_labels)
        if hypothesis_template is not None:
            pre["hypothesis_template"] = _check_template(hypothesis_template)
        post: dict[str, Any] = {}
        if multi_label is None:
            multi_label = multi_class  # the deprecated spelling
        if multi_label is not None:
            post["multi_label"] = bool(multi_label)
        return pre, {}, post

    def __call__(self, sequences: Any, *args: Any, **options: Any) -> Any:
        if args:
            if len(args) > 1 or "candidate_labels" in options:
                raise PipelineError(f"Unexpected extra positional arguments: {args!r}.")
            options["candidate_labels"] = args[0]
        return super().__call__(sequences, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self,
        items: list[Any],
        candidate_labels: list[str] | None = None,
        hypothesis_template: str = DEFAULT_TEMPLATE,
    ) -> list[list[dict]]:
        if not candidate_labels:
            raise PipelineError(
                "zero-shot-classification needs candidate labels: pass "
                'candidate_labels=["label", ...] (or a comma-separated string).'
            )
        hypotheses = [hypothesis_template.format(label) for label in candidate_labels]
        if hypotheses[0] == hypothesis_template:
            raise PipelineError(
                f"The hypothesis_template {hypothesis_template!r} has no {{}} for the label: use "
                'something like "This example is {}.".'
            )
        for item in items:
            if not isinstance(item, str) or not item:
                raise PipelineError(
                    f"The {self.task} pipeline takes non-empty strings, got {item!r}."
                )
        premises = [text for text in items for _ in hypotheses]
        pairs = hypotheses * len(items)
        try:
            encoded = self.encoder.encode(premises, pairs, truncation="only_first")
        except PipelineError:  # the text is too short to make room for the hypothesis
            encoded = self.encoder.encode(premises, pairs)
        features = []
        n = len(hypotheses)
        for index, text in enumerate(items):
            features.append(
                [
                    {
                        "input_ids": enc.ids,
                        "attention_mask": enc.attention_mask,
                        "token_type_ids": enc.type_ids,
                        "candidate_label": label,
                        "sequence": text,
                    }
                    for label, (enc, *_) in zip(
                        candidate_labels, encoded[index * n : (index + 1) * n]
                    )
                ]
            )
        return features

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs)["logits"]}

    # -------------------------------------------------------------- postprocess
    def postprocess(self, chunks: list[dict], multi_label: bool = False) -> dict:
        labels = [chunk["candidate_label"] for chunk in chunks]
        logits = np.stack([chunk["logits"].numpy() for chunk in chunks])
        entail = self.entailment_id
        if multi_label or len(labels) == 1:
            contradiction = -1 if entail == 0 else 0
            scores = softmax(logits[:, [contradiction, entail]])[:, 1]
        else:
            scores = softmax(logits[:, entail])
        order = list(reversed(scores.argsort()))
        return {
            "sequence": chunks[0]["sequence"],
            "labels": [labels[i] for i in order],
            "scores": [float(scores[i]) for i in order],
        }


def _entailment_id(config: Any) -> int:
    label2id = getattr(config, "label2id", None) or {}
    for label, index in label2id.items():
        if str(label).lower().startswith("entail"):
            return int(index)
    raise PipelineError(
        "zero-shot-classification needs an NLI model whose label2id names an entailment label "
        f"(e.g. 'entailment'); this model's labels are {sorted(label2id) or 'missing'}. "
        "Use a checkpoint fine-tuned on NLI (MNLI, XNLI, ...)."
    )


def _check_template(template: Any) -> str:
    """A hypothesis template holds exactly one plain `{}` where the label goes."""
    import string

    problem = None
    if not isinstance(template, str):
        problem = "it is not a string"
    else:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            fields, problem = [], f"it is not a valid format string ({exc})"
        if problem is None and not fields:
            problem = "it has no {} for the label"
        elif problem is None and fields != [""] and fields != ["0"]:
            problem = f"it has {len(fields)} placeholders {fields!r} instead of one '{{}}'"
    if problem is not None:
        raise PipelineError(
            f"hypothesis_template {template!r} is invalid: {problem}. Write one '{{}}' where the "
            'label goes, e.g. "This example is {}.".'
        )
    return template
