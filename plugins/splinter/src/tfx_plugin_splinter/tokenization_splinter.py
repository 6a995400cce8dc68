"""Splinter's tokenizer: BERT's WordPiece with a `[QUESTION]` token in the pair template.

A question-context pair is `[CLS] question [QUESTION] . [SEP] context [SEP]` (context first
with left padding: `[CLS] context [SEP] question [QUESTION] . [SEP]`), so the span selection
head finds the question's representation at `[QUESTION]`. `convert_splinter` builds it from a
legacy `vocab.txt` as the reference's conversion does (the released vocabularies hold
`[QUESTION]`; one that lacks it gets it as an added token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import AddedToken, processors
from tokenizers import Tokenizer as RustTokenizer

from tfx_core.tokenization import Tokenizer
from tfx_core.tokenization.converters import convert_wordpiece

QUESTION_TOKEN = "[QUESTION]"


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def convert_splinter(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """The reference's Splinter tokenizer from `folder/vocab.txt` (BERT's, `[QUESTION]` added)."""
    tokenizer_config.setdefault("question_token", QUESTION_TOKEN)
    tokenizer_config.setdefault("clean_up_tokenization_spaces", False)  # unlike BERT's class
    question = _content(tokenizer_config["question_token"])
    # Not listed in additional_special_tokens: the reference's class adds it from
    # `question_token` and refuses a tokenizer_config.json that lists it too.
    tokenizer = convert_wordpiece(folder, tokenizer_config)
    cls, sep = (_content(tokenizer_config[k]) for k in ("cls_token", "sep_token"))
    # The template takes the ids of vocab.txt: a `[QUESTION]` missing there is `[UNK]` in the
    # template (as the reference converts it), and gets a new id as an added token.
    ids = {token: _id(tokenizer, token) for token in (cls, sep, question, ".")}
    tokenizer.add_special_tokens([AddedToken(question, special=True, normalized=False)])
    right = tokenizer_config.get("padding_side", "right") == "right"
    pair = (
        f"{cls}:0 $A:0 {question} . {sep}:0 $B:1 {sep}:1"
        if right
        else f"{cls}:0 $A:0 {sep}:0 $B:1 {question} . {sep}:1"
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=pair,
        special_tokens=list(ids.items()),
    )
    return tokenizer


def _id(tokenizer: RustTokenizer, token: str) -> int:
    """The token's id; a token outside the vocabulary is the unknown token, as in the reference."""
    found = tokenizer.token_to_id(token)
    return found if found is not None else tokenizer.token_to_id(tokenizer.model.unk_token)


class SplinterTokenizerFast(Tokenizer):
    """The core `Tokenizer` with Splinter's `question_token` / `question_token_id`."""

    reference_class = "SplinterTokenizer"

    @property
    def question_token(self) -> str:
        return str(self.init_kwargs.get("question_token", QUESTION_TOKEN))

    @property
    def question_token_id(self) -> int | None:
        return self.convert_tokens_to_ids(self.question_token)


SplinterTokenizer = SplinterTokenizerFast
