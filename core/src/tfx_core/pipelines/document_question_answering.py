"""`document-question-answering`: extract the answer to a question from a document's words, with
a layout-aware extractive model (LayoutLM).

A document is its words and their boxes (`word_boxes=[(word, [x0, y0, x1, y1]), ...]`, boxes
normalised to 0-1000), or an image that Tesseract reads into them (needs `pytesseract`). The
question's words and the document's words are tokenized as a pair, in windows of `max_seq_len`
tokens overlapping by `doc_stride`; each token gets its word's box (`[1000] * 4` for separators,
zeros elsewhere). Answers are spans of whole words: `[{"score", "answer", "start", "end"}, ...]`,
`start` / `end` being word indices, best first, `top_k` long, like the reference.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.span_decoding import (
    best_spans,
    context_mask,
    positive_int,
    span_probabilities,
)

#: Model types whose extractive QA head reads word boxes (`bbox`) next to the tokens.
LAYOUT_MODEL_TYPES = ("layoutlm",)
_SEPARATOR_BOX = [1000] * 4
_NO_BOX = [0] * 4


class DocumentQuestionAnsweringPipeline(Pipeline):
    """Answer `(image, question, word_boxes)` items with a LayoutLM question-answering head."""

    task = "document-question-answering"
    token_level_outputs = ("start_logits", "end_logits")
    model_input_pads = {"input_ids": None, "attention_mask": 0, "token_type_ids": 0, "bbox": 0}

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        config = kwargs.get("config") or getattr(model, "config", None)
        model_type = getattr(config, "model_type", None)
        if model_type not in LAYOUT_MODEL_TYPES:
            raise PipelineError(
                f"The document-question-answering pipeline runs layout-aware extractive models "
                f"({', '.join(LAYOUT_MODEL_TYPES)}); got a {model_type} model. Use a LayoutLM "
                "checkpoint fine-tuned for document QA (e.g. impira/layoutlm-document-qa)."
            )
        if tokenizer is None:
            raise PipelineError("The document-question-answering pipeline needs a tokenizer.")
        kwargs.pop("image_processor", None)  # LayoutLM reads words and boxes, not pixels
        kwargs.pop("feature_extractor", None)
        super().__init__(model, tokenizer, **kwargs)
        if self.encoder.padding_side != "right":
            raise PipelineError(
                "Document question answering needs a tokenizer that pads on the right, got "
                f"padding_side={self.encoder.padding_side!r}."
            )

    # ------------------------------------------------------------------ calling
    def __call__(
        self,
        image: Any = None,
        question: str | None = None,
        word_boxes: Any = None,
        **options: Any,
    ) -> Any:
        """`pipe(image, question, word_boxes=...)`, or `pipe({"image", "question",
        "word_boxes"})`, or a list of such dicts."""
        if isinstance(question, str):
            inputs: Any = {"question": question, "image": image}
            if word_boxes is not None:
                inputs["word_boxes"] = word_boxes
        elif question is not None:
            raise PipelineError(f"question must be a string, got {type(question).__name__}.")
        else:
            inputs = image
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, dict)

    def _sanitize_parameters(
        self,
        padding: Any = None,
        doc_stride: int | None = None,
        max_question_len: int | None = None,
        lang: str | None = None,
        tesseract_config: str | None = None,
        max_answer_len: int | None = None,
        max_seq_len: int | None = None,
        top_k: int | None = None,
        handle_impossible_answer: bool | None = None,
        timeout: float | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if padding not in (None, False, "do_not_pad"):
            raise PipelineError(
                f"padding={padding!r} is not supported: windows are padded per batch already."
            )
        pre: dict[str, Any] = {}
        if doc_stride is not None:
            pre["doc_stride"] = positive_int("doc_stride", doc_stride, minimum=0)
        if max_seq_len is not None:
            pre["max_seq_len"] = positive_int("max_seq_len", max_seq_len)
        if lang is not None:
            pre["lang"] = lang
        if tesseract_config is not None:
            pre["tesseract_config"] = tesseract_config
        post: dict[str, Any] = {}
        if top_k is not None:
            post["top_k"] = positive_int("top_k", top_k)
        if max_answer_len is not None:
            post["max_answer_len"] = positive_int("max_answer_len", max_answer_len)
        if handle_impossible_answer is not None:
            post["handle_impossible_answer"] = bool(handle_impossible_answer)
        return pre, {}, post

    # --------------------------------------------------------------- preprocess
    def preprocess(
        self,
        item: Any,
        doc_stride: int | None = None,
        max_seq_len: int | None = None,
        lang: str | None = None,
        tesseract_config: str = "",
    ) -> list[dict]:
        question, words, boxes = self._read_item(item, lang, tesseract_config)
        if max_seq_len is None:
            max_seq_len = self.encoder.model_max_length or 512
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 256)
        if doc_stride >= max_seq_len:
            raise PipelineError(
                f"doc_stride ({doc_stride}) must be smaller than max_seq_len ({max_seq_len})."
            )
        (encodings,) = self.encoder.encode(
            [question.split()],
            [words],
            truncation="only_second",
            max_length=max_seq_len,
            stride=doc_stride,
            is_pretokenized=True,
        )
        cls_id, sep_id = self.encoder.ids["cls"], self.encoder.ids["sep"]
        windows = []
        for encoding in encodings:
            sequences, word_ids = encoding.sequence_ids, encoding.word_ids
            p_mask = [int(s != 1 and t != cls_id) for s, t in zip(sequences, encoding.ids)]
            bbox = [
                boxes[word] if sequence == 1 else _SEPARATOR_BOX if token == sep_id else _NO_BOX
                for token, sequence, word in zip(encoding.ids, sequences, word_ids)
            ]
            windows.append(
                {
                    "input_ids": encoding.ids,
                    "attention_mask": encoding.attention_mask,
                    "token_type_ids": encoding.type_ids,
                    "bbox": bbox,
                    "p_mask": p_mask,
                    "word_ids": word_ids,
                    "words": words,
                }
            )
        return windows

    def _read_item(self, item: Any, lang: str | None, config: str) -> tuple[str, list, list]:
        if not isinstance(item, dict):
            raise PipelineError(
                "The document-question-answering pipeline takes pipe(image, question, "
                "word_boxes=...) or dicts with 'question' and 'word_boxes' (or 'image'); got "
                f"{type(item).__name__}."
            )
        question = item.get("question")
        if not isinstance(question, str) or not question.split():
            raise PipelineError(f"The question must be a non-empty string, got {question!r}.")
        if item.get("word_boxes") is not None:
            words, boxes = _split_word_boxes(item["word_boxes"])
        elif item.get("image") is not None:
            words, boxes = ocr_words_and_boxes(item["image"], lang, config)
        else:
            raise PipelineError(
                "Give the document's words and boxes (word_boxes=[(word, [x0, y0, x1, y1]), ...]) "
                "or an image to read them from with Tesseract OCR."
            )
        if not words:
            raise PipelineError("The document has no words: nothing to answer from.")
        return question, words, boxes

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        import torch

        boxes = [feature.pop("bbox") for feature in features]
        batch = super()._collate(features)
        longest = max(len(rows) for rows in boxes)
        bbox = torch.zeros((len(boxes), longest, 4), dtype=torch.long)
        for i, rows in enumerate(boxes):
            bbox[i, : len(rows)] = torch.as_tensor(rows, dtype=torch.long).reshape(-1, 4)
        batch["bbox"] = bbox.to(self.device)
        return batch

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        out = self.model(**model_inputs)
        return {"start_logits": out["start_logits"], "end_logits": out["end_logits"]}

    # -------------------------------------------------------------- postprocess
    def postprocess(
        self,
        chunks: list[dict],
        top_k: int = 1,
        handle_impossible_answer: bool = False,
        max_answer_len: int = 15,
    ) -> list[dict]:
        min_null_score = 1000000.0
        answers: list[dict] = []
        for chunk in chunks:
            desired = context_mask(chunk)
            start, end = span_probabilities(chunk, desired)
            if handle_impossible_answer:
                min_null_score = min(min_null_score, float(start[0] * end[0]))
            start[0] = end[0] = 0.0
            word_ids, words = chunk["word_ids"], chunk["words"]
            for s, e, score in best_spans(start, end, desired, top_k, max_answer_len):
                first, last = word_ids[s], word_ids[e]
                if first is not None and last is not None:
                    answer = " ".join(words[first : last + 1])
                    answers.append({"score": score, "answer": answer, "start": first, "end": last})
        if handle_impossible_answer:
            answers.append({"score": min_null_score, "answer": "", "start": 0, "end": 0})
        return sorted(answers, key=lambda answer: answer["score"], reverse=True)[:top_k]

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        return results


def _split_word_boxes(word_boxes: Any) -> tuple[list[str], list[list[int]]]:
    words, boxes = [], []
    for entry in word_boxes:
        try:
            word, box = entry
            box = [int(v) for v in box]
        except (TypeError, ValueError) as exc:
            raise PipelineError(
                "word_boxes must be (word, [x0, y0, x1, y1]) pairs with boxes normalised to "
                f"0-1000; got {entry!r}."
            ) from exc
        if not isinstance(word, str) or len(box) != 4:
            raise PipelineError(
                f"word_boxes must be (word, [x0, y0, x1, y1]) pairs; got {entry!r}."
            )
        words.append(word)
        boxes.append(box)
    return words, boxes


def ocr_words_and_boxes(
    image: Any, lang: str | None = None, config: str = ""
) -> tuple[list[str], list[list[int]]]:
    """The words Tesseract reads in `image` and their boxes, normalised to 0-1000."""
    try:
        import pytesseract
    except ImportError as exc:
        raise PipelineError(
            "An image without word_boxes needs Tesseract OCR to read its words: install "
            "pytesseract (and the tesseract program), or pass the words and their boxes as "
            "word_boxes=[(word, [x0, y0, x1, y1]), ...] (normalised to 0-1000)."
        ) from exc
    from tfx_core.pipelines.image_classification import read_image

    picture = read_image(image)
    data = pytesseract.image_to_data(picture, lang=lang, output_type="dict", config=config)
    width, height = picture.size
    words, boxes = [], []
    for word, left, top, w, h in zip(
        data["text"], data["left"], data["top"], data["width"], data["height"]
    ):
        if not word.strip():
            continue
        words.append(word)
        box = (left, top, left + w, top + h)
        boxes.append([int(1000 * v / size) for v, size in zip(box, (width, height) * 2)])
    return words, boxes


__all__ = ["DocumentQuestionAnsweringPipeline", "ocr_words_and_boxes"]
