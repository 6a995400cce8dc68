"""`CpmTokenizerFast`: the tokenizer of CPM (Chinese GPT-2 checkpoints such as CPM-Generate).

XLNet's SentencePiece backend (`spiece.model` or `tokenizer.json`), fed text that was first cut
into words by jieba and re-joined with spaces; spaces and newlines of the text itself travel as
`▂` / `▃` (U+2582, U+2583) so that SentencePiece keeps them. Decoding removes the joining spaces
and turns `▂` / `▃` back. This is what the reference's `CpmTokenizerFast` does (its `rjieba`
call: exact mode, no HMM, the same dictionary as jieba's). jieba is optional:
`pip install "tfx-core[cpm]"`.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.tokenizer import Tokenizer

#: The text's own spaces and newlines, as CPM's vocabulary writes them.
WHITESPACE_MARKS = str.maketrans(" \n", "\u2582\u2583")


def _jieba() -> Any:
    try:
        import jieba
    except ImportError as exc:
        raise TokenizerError(
            "CpmTokenizer cuts Chinese text into words with jieba, which is not installed: "
            'pip install "tfx-core[cpm]" (or pip install jieba).'
        ) from exc
    import logging

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on first use
    return jieba


def segment(text: str) -> str:
    """`text` cut into jieba words joined by spaces, its own spaces/newlines as `▂` / `▃`."""
    words = _jieba().cut(text, cut_all=False, HMM=False)
    return " ".join(word.translate(WHITESPACE_MARKS) for word in words)


def _segment_inputs(texts: Any) -> Any:
    """`segment` applied to a text or to each text of a batch (anything else as it is)."""
    if isinstance(texts, str):
        return segment(texts)
    if isinstance(texts, (list, tuple)) and all(isinstance(text, str) for text in texts):
        return type(texts)(segment(text) for text in texts)
    return texts


class CpmTokenizerFast(Tokenizer):
    """Encodes and decodes like the reference's `CpmTokenizerFast` (see module doc).

    Pairs are cut too (the reference's class fails on them); pre-split words
    (`is_split_into_words=True`) are taken as they are.
    """

    reference_class = "CpmTokenizer"

    def __call__(self, text: Any = None, text_pair: Any = None, **kwargs: Any) -> Any:
        if not kwargs.get("is_split_into_words", False):
            text, text_pair = _segment_inputs(text), _segment_inputs(text_pair)
            if "text_target" in kwargs:
                kwargs["text_target"] = _segment_inputs(kwargs["text_target"])
        return super().__call__(text, text_pair, **kwargs)

    def _clean_up(self, text: str, clean_up: bool | None) -> str:
        text = super()._clean_up(text, clean_up)
        return text.replace(" ", "").replace("\u2582", " ").replace("\u2583", "\n")


CpmTokenizer = CpmTokenizerFast

__all__ = ["CpmTokenizer", "CpmTokenizerFast", "segment"]
