"""`question-answering`: extract the answer span to a question from a context.

Long contexts are read in windows of `max_seq_len` tokens overlapping by `doc_stride`. In each
window, start and end probabilities (softmax over context tokens) multiply into span scores for
spans up to `max_answer_len` tokens; the best spans are mapped back to characters of the original
context (aligned to whole words by default), identical answers from several windows add their
scores, and the `top_k` best are returned as `{"score", "start", "end", "answer"}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.span_decoding import (
    best_spans,
    context_mask,
    positive_int,
    span_probabilities,
)


class QuestionAnsweringPipeline(Pipeline):
    """Answer `{"question": ..., "context": ...}` items (or `question=`, `context=`)."""

    task = "question-answering"
    token_level_outputs = ("start_logits", "end_logits")

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        topk: int | None = None,
        doc_stride: int | None = None,
        max_answer_len: int | None = None,
        max_seq_len: int | None = None,
        max_question_len: int | None = None,
        handle_impossible_answer: bool | None = None,
        align_to_words: bool | None = None,
        padding: Any = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        pre: dict[str, Any] = {}
        if doc_stride is not None:
            pre["doc_stride"] = positive_int("doc_stride", doc_stride, minimum=0)
        if max_seq_len is not None:
            pre["max_seq_len"] = positive_int("max_seq_len", max_seq_len)
        post: dict[str, Any] = {}
        top_k = top_k if top_k is not None else topk
        if top_k is not None:
            post["top_k"] = positive_int("top_k", top_k)
        if max_answer_len is not None:
            post["max_answer_len"] = positive_int("max_answer_len", max_answer_len)
        if handle_impossible_answer is not None:
            post["handle_impossible_answer"] = bool(handle_impossible_answer)
        if align_to_words is not None:
            post["align_to_words"] = bool(align_to_words)
        return pre, {}, post

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **options: Any) -> Any:
        """`pipe(question=q, context=c)`, `pipe(q, c)`, `pipe({...})`, `pipe([{...}, ...])`."""
        question = options.pop("question", None)
        context = options.pop("context", None)
        if args and (question is not None or context is not None):
            raise PipelineError("Pass the inputs either positionally or as question=/context=.")
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            question, context = args
            args = ()
        if args:
            if len(args) > 1:
                raise PipelineError(
                    "Pass one input: a {'question', 'context'} dict, a list of them, or an "
                    "iterable of them."
                )
            inputs = args[0]
        elif question is not None or context is not None:
            inputs = _pairs_from(question, context)
        else:
            raise PipelineError("The question-answering pipeline needs question= and context=.")
        if isinstance(inputs, (list, tuple)):
            for item in inputs:
                _check_item(item)
            if len(inputs) == 1:  # the reference answers a one-element list like one item
                inputs = inputs[0]
        elif isinstance(inputs, dict):
            _check_item(inputs)
        elif isinstance(inputs, Iterable) and not isinstance(inputs, str):
            inputs = (_check_item(item) for item in inputs)
        else:
            _check_item(inputs)
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, dict)

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self, items: list[dict], doc_stride: int | None = None, max_seq_len: int | None = None
    ) -> list[list[dict]]:
        if max_seq_len is None:
            max_seq_len = min(self.encoder.model_max_length or 384, 384)
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len:
            raise PipelineError(
                f"doc_stride ({doc_stride}) must not be larger than max_seq_len ({max_seq_len})."
            )
        question_first = self.encoder.padding_side == "right"
        questions = [item["question"] for item in items]
        contexts = [item["context"] for item in items]
        encoded = self.encoder.encode(
            questions if question_first else contexts,
            contexts if question_first else questions,
            truncation="only_second" if question_first else "only_first",
            max_length=max_seq_len,
            stride=doc_stride,
        )
        cls_id = self.encoder.ids["cls"]
        context_sequence = 1 if question_first else 0
        features = []
        for context, encodings in zip(contexts, encoded):
            windows = []
            for enc in encodings:
                ids = enc.ids
                if question_first:
                    p_mask = [int(s != 1) for s in enc.sequence_ids]
                else:
                    p_mask = [0] * len(ids)
                if cls_id is not None:
                    p_mask = [0 if t == cls_id else m for t, m in zip(ids, p_mask)]
                windows.append(
                    {
                        "input_ids": ids,
                        "attention_mask": enc.attention_mask,
                        "token_type_ids": enc.type_ids,
                        "p_mask": p_mask,
                        "encoding": enc,
                        "context": context,
                        "context_sequence": context_sequence,
                    }
                )
            features.append(windows)
        return features

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
        align_to_words: bool = True,
    ) -> dict | list[dict]:
        min_null_score: float = 1000000
        answers: list[dict] = []
        candidates_wanted = top_k * 2 + 10 if align_to_words else top_k
        for chunk in chunks:
            desired = context_mask(chunk)
            start, end = span_probabilities(chunk, desired)
            if handle_impossible_answer:
                min_null_score = min(min_null_score, float(start[0] * end[0]))
            start[0] = end[0] = 0.0
            context = chunk["context"]
            for s, e, score in best_spans(start, end, desired, candidates_wanted, max_answer_len):
                first, last = self._char_span(chunk, s, e, align_to_words)
                text = context[first:last]
                same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += score
                else:
                    answers.append({"score": score, "start": first, "end": last, "answer": text})
        if handle_impossible_answer:
            answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda answer: answer["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers

    @staticmethod
    def _char_span(chunk: dict, s: int, e: int, align_to_words: bool) -> tuple[int, int]:
        enc = chunk["encoding"]
        if align_to_words:
            start_word, end_word = enc.token_to_word(s), enc.token_to_word(e)
            if start_word is not None and end_word is not None:
                sequence = chunk["context_sequence"]
                first = enc.word_to_chars(start_word, sequence)
                last = enc.word_to_chars(end_word, sequence)
                if first is not None and last is not None:
                    return first[0], last[1]
        return enc.offsets[s][0], enc.offsets[e][1]

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        return results


def _pairs_from(question: Any, context: Any) -> Any:
    if question is None or context is None:
        raise PipelineError("The question-answering pipeline needs both question= and context=.")
    if isinstance(question, str) and isinstance(context, str):
        return {"question": question, "context": context}
    if isinstance(question, list) and isinstance(context, str):
        return [{"question": q, "context": context} for q in question]
    if isinstance(question, list) and isinstance(context, list):
        if len(question) != len(context):
            raise PipelineError(
                f"question= and context= lists differ in length ({len(question)} vs "
                f"{len(context)})."
            )
        return [{"question": q, "context": c} for q, c in zip(question, context)]
    raise PipelineError("question= and context= must be strings, or lists of strings.")


def _check_item(item: Any) -> dict:
    if not isinstance(item, dict):
        raise PipelineError(
            f"A question-answering input is a {{'question': ..., 'context': ...}} dict, got "
            f"{type(item).__name__}: {item!r}."
        )
    for key in ("question", "context"):
        if key not in item:
            raise PipelineError(f"A question-answering input needs a {key!r} key; got {item!r}.")
        value = item[key]
        if not isinstance(value, str):
            raise PipelineError(f"The {key} must be a string, got {type(value).__name__}.")
        if not value.strip():
            raise PipelineError(f"The {key} is empty: there is nothing to answer from.")
    return item
