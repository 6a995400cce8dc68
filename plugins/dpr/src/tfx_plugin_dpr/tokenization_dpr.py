"""DPR's tokenizers: BERT's WordPiece; the reader's also joins question, title and passage.

`DPRContextEncoderTokenizer(Fast)` and `DPRQuestionEncoderTokenizer(Fast)` are the core's
`Tokenizer` with BERT's behaviour. `DPRReaderTokenizer(Fast)` takes
`(questions, titles, texts)` and builds one row per passage,
`[CLS] question [SEP] title [SEP] text`, and `decode_best_spans` turns the reader's logits
into ranked answer spans, as the reference's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import BatchEncoding, Tokenizer


class DPRContextEncoderTokenizerFast(Tokenizer):
    """BERT's tokenizer, for passages (`title [SEP] text` as a pair)."""

    reference_class = "DPRContextEncoderTokenizer"


class DPRQuestionEncoderTokenizerFast(Tokenizer):
    """BERT's tokenizer, for questions."""

    reference_class = "DPRQuestionEncoderTokenizer"


class DPRSpanPrediction(NamedTuple):
    span_score: float
    relevance_score: float
    doc_id: int
    start_index: int
    end_index: int
    text: str


class DPRReaderTokenizerFast(Tokenizer):
    """BERT's tokenizer whose call takes `(questions, titles, texts)` for `DPRReader`."""

    reference_class = "DPRReaderTokenizer"

    def __call__(  # type: ignore[override]
        self,
        questions: Any = None,
        titles: str | Sequence[str] | None = None,
        texts: str | Sequence[str] | None = None,
        padding: bool | str = False,
        truncation: bool | str | None = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        return_attention_mask: bool | None = None,
        **kwargs: Any,
    ) -> BatchEncoding:
        """One row per passage: `[CLS] question [SEP] title [SEP] text` (cut to `max_length`
        when `truncation`). With only titles or only texts, a plain pair encoding."""
        options = {"padding": padding, "truncation": truncation, "max_length": max_length}
        options |= {
            "return_tensors": return_tensors,
            "return_attention_mask": return_attention_mask,
        }
        if titles is None or texts is None:
            pair = titles if texts is None else texts
            return super().__call__(questions, pair, **options, **kwargs)
        titles = [titles] if isinstance(titles, str) else list(titles)
        texts = [texts] if isinstance(texts, str) else list(texts)
        if len(titles) != len(texts):
            raise TokenizerError(
                f"DPRReaderTokenizer needs one title per text: got {len(titles)} titles and "
                f"{len(texts)} texts."
            )
        if isinstance(questions, str):
            questions = [questions] * len(titles)
        if len(questions) != len(titles):
            raise TokenizerError(
                f"DPRReaderTokenizer needs one question, or one per passage: got "
                f"{len(questions)} questions for {len(titles)} passages."
            )
        heads = super().__call__(list(questions), titles)["input_ids"]
        bodies = super().__call__(texts, add_special_tokens=False)["input_ids"]
        cut = max_length if truncation and max_length is not None else None
        rows = {"input_ids": [(head + body)[:cut] for head, body in zip(heads, bodies)]}
        if return_attention_mask is not False:
            pad = self.pad_token_id
            rows["attention_mask"] = [[int(i != pad) for i in row] for row in rows["input_ids"]]
        return self.pad(rows, padding=padding, max_length=max_length, return_tensors=return_tensors)

    def decode_best_spans(
        self,
        reader_input: Any,
        reader_output: Any,
        num_spans: int = 16,
        max_answer_length: int = 64,
        num_spans_per_passage: int = 4,
    ) -> list[DPRSpanPrediction]:
        """The best answer spans, passages by descending relevance, spans by descending
        start + end logit; spans lie in the passage text (after the second `[SEP]`)."""
        input_ids = reader_input["input_ids"]
        start_logits, end_logits, relevance_logits = reader_output[:3]
        order = sorted(range(len(relevance_logits)), key=relevance_logits.__getitem__, reverse=True)
        predictions: list[DPRSpanPrediction] = []
        for doc_id in order:
            ids = [int(i) for i in input_ids[doc_id]]
            offset = ids.index(self.sep_token_id, 2) + 1
            length = ids.index(self.pad_token_id) if ids[-1] == self.pad_token_id else len(ids)
            spans = _best_spans(
                start_logits[doc_id][offset:length],
                end_logits[doc_id][offset:length],
                max_answer_length,
                num_spans_per_passage,
            )
            for start, end in spans:
                start, end = start + offset, end + offset
                predictions.append(
                    DPRSpanPrediction(
                        span_score=start_logits[doc_id][start] + end_logits[doc_id][end],
                        relevance_score=relevance_logits[doc_id],
                        doc_id=doc_id,
                        start_index=start,
                        end_index=end,
                        text=self.decode(ids[start : end + 1]),
                    )
                )
            if len(predictions) >= num_spans:
                break
        return predictions[:num_spans]


def _best_spans(
    start_logits: Sequence[Any], end_logits: Sequence[Any], max_length: int, top: int
) -> list[tuple[int, int]]:
    """Up to `top` non-nested spans of at most `max_length` tokens, best score first."""
    scored = [
        ((start, start + length), start_score + end_score)
        for start, start_score in enumerate(start_logits)
        for length, end_score in enumerate(end_logits[start : start + max_length])
    ]
    scored.sort(key=lambda item: item[1], reverse=True)
    chosen: list[tuple[int, int]] = []
    for start, end in (span for span, _ in scored):
        if any(s <= start <= end <= e or start <= s <= e <= end for s, e in chosen):
            continue
        chosen.append((start, end))
        if len(chosen) == top:
            break
    return chosen


DPRContextEncoderTokenizer = DPRContextEncoderTokenizerFast
DPRQuestionEncoderTokenizer = DPRQuestionEncoderTokenizerFast
DPRReaderTokenizer = DPRReaderTokenizerFast
