"""`Tokenizer.apply_chat_template`: a conversation rendered with the checkpoint's template.

With `return_assistant_tokens_mask=True` the template's `{% generation %}...{% endgeneration %}`
blocks are located by rewriting them to emit private-use marker characters (inside block tags,
so jinja's whitespace rules give the same text), which are then removed and turned into
character spans, and those into token masks, as the reference does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import chat


class ChatMixin:
    """`apply_chat_template` (rendering itself lives in `chat`)."""

    # ==================================================================== chat
    def apply_chat_template(
        self,
        conversation: Any,
        tools: list[dict | Callable] | None = None,
        documents: list[dict] | None = None,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        continue_final_message: bool = False,
        tokenize: bool = True,
        padding: bool | str = False,
        truncation: bool = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        return_dict: bool = False,
        return_assistant_tokens_mask: bool = False,
        tokenizer_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Render a conversation (or a batch) with the checkpoint's chat template.

        Returns the prompt string(s) with `tokenize=False`, else the ids (or, with
        `return_dict=True`, the `BatchEncoding`). `tools` are JSON-schema dicts or plain functions
        (converted by `get_json_schema`). Extra keyword arguments reach the template.
        """
        if return_dict and not tokenize:
            raise TokenizerError("return_dict=True needs tokenize=True.")
        if return_assistant_tokens_mask and not return_dict:
            raise TokenizerError("return_assistant_tokens_mask=True needs return_dict=True.")
        if return_assistant_tokens_mask and continue_final_message:
            raise TokenizerError(
                "return_assistant_tokens_mask=True cannot be used with continue_final_message."
            )
        source = chat.select_template(self.chat_template, chat_template, tools)
        if return_assistant_tokens_mask:
            source = _mark_generation_blocks(source)
        batched = (
            isinstance(conversation, (list, tuple))
            and bool(conversation)
            and (isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages"))
        )
        conversations = list(conversation) if batched else [conversation]
        rendered = chat.render(
            conversations,
            source,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=continue_final_message,
            tools=tools,
            documents=documents,
            variables={**self.special_tokens_map, **kwargs},
        )
        spans: list[list[tuple[int, int]]] = []
        if return_assistant_tokens_mask:
            rendered, spans = zip(*map(_take_marks, rendered)) if rendered else ((), ())
            rendered = list(rendered)
        prompt: Any = rendered if batched else rendered[0]
        if not tokenize:
            return prompt
        encoded = self(
            prompt,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            add_special_tokens=False,
            return_tensors=return_tensors,
            **(tokenizer_kwargs or {}),
        )
        if return_assistant_tokens_mask:
            _add_assistant_masks(encoded, list(spans), batched, return_tensors)
        return encoded if return_dict else encoded["input_ids"]

    def encode_message_with_chat_template(
        self,
        message: dict[str, Any],
        conversation_history: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> list[int]:
        """The ids one message adds to a conversation (for tokenizing a chat message by
        message): the conversation's ids after the first place they differ from the history's."""
        if "add_generation_prompt" in kwargs:
            raise TokenizerError(
                "encode_message_with_chat_template does not take add_generation_prompt; add the "
                "generation prompt separately."
            )
        options = dict(kwargs, add_generation_prompt=False, tokenize=True)
        if not conversation_history:
            return self.apply_chat_template([message], **options)
        tokens = self.apply_chat_template([*conversation_history, message], **options)
        prefix = self.apply_chat_template(list(conversation_history), **options)
        for index, (a, b) in enumerate(zip(prefix, tokens)):
            if a != b:
                return tokens[index:]
        return tokens[min(len(prefix), len(tokens)) :]


_START, _END = "\ue000", "\ue001"
_START_TAG = re.compile(r"\{%(-?)\s*generation\s*(-?)%\}")
_END_TAG = re.compile(r"\{%(-?)\s*endgeneration\s*(-?)%\}")


def _mark_generation_blocks(source: str) -> str:
    """The template with a marker at the start and end of each `{% generation %}` body."""
    source = _START_TAG.sub(
        lambda m: f"{{%{m[1]} generation %}}{{% if true %}}{_START}{{% endif {m[2]}%}}", source
    )
    return _END_TAG.sub(
        lambda m: f"{{%{m[1]} if true %}}{_END}{{% endif %}}{{% endgeneration {m[2]}%}}", source
    )


def _take_marks(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without markers, and the (start, end) character span of each marked block."""
    clean: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for piece in re.split(f"([{_START}{_END}])", text):
        if piece == _START:
            start = length
        elif piece == _END:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            clean.append(piece)
            length += len(piece)
    return "".join(clean), spans


def _add_assistant_masks(
    encoded: Any, spans: list[list[tuple[int, int]]], batched: bool, return_tensors: Any
) -> None:
    """`assistant_masks`: 1 on every token from an assistant block's first to last character."""
    rows = encoded["input_ids"]
    rows = [list(row) for row in rows] if batched or return_tensors else [list(rows)]
    masks = []
    for index, row in enumerate(rows):
        mask = [0] * len(row)
        for start, end in spans[index]:
            first = encoded.char_to_token(index, start)
            last = encoded.char_to_token(index, end - 1)
            if first is None:  # truncated away
                break
            for position in range(first, last + 1 if last else len(row)):
                mask[position] = 1
        masks.append(mask)
    if return_tensors:
        import numpy as np

        from tfx_core.tokenization.tensors import from_numpy

        encoded["assistant_masks"] = from_numpy(np.asarray(masks, dtype=np.int64), return_tensors)
    else:
        encoded["assistant_masks"] = masks if batched else masks[0]
