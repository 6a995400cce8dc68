"""`visual-question-answering`: score the answers of a VQA model's vocabulary for an image and a
question (ViLT).

Calls: `pipe(image, question)`, lists of images and/or questions (every question is asked of
every image, question-major, like the reference), or `{"image", "question"}` dicts. Each image
is prepared alone (its own size, a full pixel mask) so results do not depend on the batch.
Output per pair: `[{"score", "answer"}, ...]`, sigmoid scores, `top_k` best (default 5).
"""

from __future__ import annotations

import os
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_classification import read_image
from tfx_core.pipelines.media import MediaPipeline, collate_by_shape, forward_by_shape


def _is_image(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) or type(value).__module__.startswith("PIL.")


class VisualQuestionAnsweringPipeline(MediaPipeline):
    """Answer questions about images with a classifier over answers (ViLT-style)."""

    task = "visual-question-answering"
    needs_tokenizer = True
    model_input_pads = {
        "input_ids": None,
        "attention_mask": 0,
        "token_type_ids": 0,
        "pixel_values": None,
        "pixel_mask": 0,
    }

    def __call__(self, image: Any = None, question: Any = None, **options: Any) -> Any:
        image = options.pop("images", image)
        many_images = isinstance(image, (list, tuple))
        many_questions = isinstance(question, (list, tuple))
        if isinstance(question, str) and not many_images:
            inputs: Any = {"image": image, "question": question}
        elif isinstance(question, str):
            inputs = [{"image": item, "question": question} for item in image]
        elif many_questions and not many_images and image is not None:
            inputs = [{"image": image, "question": text} for text in question]
        elif many_questions:
            inputs = [{"image": item, "question": text} for text in question for item in image]
        elif question is None and image is not None:
            inputs = image  # {"image", "question"} dicts
        else:
            raise PipelineError(
                "The visual-question-answering pipeline needs an image and a question: "
                "pipe(image, question) or pipe({'image': ..., 'question': ...})."
            )
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, dict)

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        padding: Any = None,
        truncation: Any = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        if truncation is not None:
            pre["truncation"] = truncation
        post: dict[str, Any] = {}
        if top_k is not None:
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise PipelineError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        return pre, {}, post

    def preprocess(self, item: Any, truncation: Any = False) -> dict:
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise PipelineError(
                "Each input must be {'image': ..., 'question': '...'}; got "
                f"{type(item).__name__}."
            )
        if not _is_image(item.get("image")) and not hasattr(item.get("image"), "shape"):
            raise PipelineError(f"'image' must be a path, a PIL image or an array; got {item!r}.")
        ((encoding, *_),) = self.encoder.encode([item["question"]], truncation=truncation)
        pixels = self.image_processor([read_image(item["image"])])
        return {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
            "pixel_values": pixels["pixel_values"][0],
            "pixel_mask": pixels["pixel_mask"][0],
        }

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        return collate_by_shape(self._collate_padded, features)

    def _collate_padded(self, features: list[dict]) -> dict[str, Any]:
        import torch

        batch = super()._collate(features)
        texts = {key: [feature[key] for feature in features] for key in self.encoder_keys}
        longest = max(len(ids) for ids in texts["input_ids"])
        pad = self.encoder.ids["pad"] or 0
        for key, rows in texts.items():
            fill = pad if key == "input_ids" else 0
            tensor = torch.full((len(rows), longest), fill, dtype=torch.long)
            for index, row in enumerate(rows):
                tensor[index, : len(row)] = torch.as_tensor(row, dtype=torch.long)
            batch[key] = tensor.to(self.device)
        return batch

    encoder_keys = ("input_ids", "attention_mask", "token_type_ids")

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return forward_by_shape(self.model, model_inputs, ("logits",))

    def postprocess(self, chunks: list[dict], top_k: int = 5) -> list[dict]:
        scores = chunks[0]["logits"].sigmoid()
        values, ids = scores.topk(min(top_k, self.config.num_labels))
        id2label = self.config.id2label
        return [
            {"score": score, "answer": id2label[index]}
            for score, index in zip(values.tolist(), ids.tolist())
        ]

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        return results


__all__ = ["VisualQuestionAnsweringPipeline"]
