"""Streamers: receive token ids while `generate` runs and turn them into text as it is produced.

`generate` calls `put(ids)` with the prompt once, then with each new token, and `end()` at the
end. Text is released at word boundaries (a partial word may still change with the next token),
immediately for CJK characters (no spaces between words there), and everything at a newline or
at the end. Unlike a naive decoder it never releases half of a multi-byte character (shown as
U+FFFD by byte-level tokenizers), so the concatenated stream equals the decoded output.
"""

from __future__ import annotations

from queue import Queue
from typing import Any

__all__ = ["BaseStreamer", "TextIteratorStreamer", "TextStreamer"]

_INCOMPLETE = "\ufffd"


class BaseStreamer:
    """What `generate` talks to: `put(token_ids)` for each step, then `end()`."""

    def put(self, value: Any) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


def is_cjk_char(codepoint: int) -> bool:
    """Whether a code point is a CJK ideograph (the blocks the reference treats as words)."""
    return (
        0x4E00 <= codepoint <= 0x9FFF
        or 0x3400 <= codepoint <= 0x4DBF
        or 0x20000 <= codepoint <= 0x2A6DF
        or 0x2A700 <= codepoint <= 0x2B73F
        or 0x2B740 <= codepoint <= 0x2B81F
        or 0x2B820 <= codepoint <= 0x2CEAF
        or 0xF900 <= codepoint <= 0xFAFF
        or 0x2F800 <= codepoint <= 0x2FA1F
    )


def _token_list(value: Any) -> list[int]:
    """Accept a tensor / array / list of shape [n] or [1, n]; streaming is for one sequence."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, int):
        return [value]
    if value and isinstance(value[0], list):
        if len(value) > 1:
            raise ValueError("Text streamers support a batch of one sequence only.")
        value = value[0]
    return [int(v) for v in value]


class TextStreamer(BaseStreamer):
    """Prints text to stdout as it is generated; override `on_finalized_text` to send it elsewhere.

    `skip_prompt=True` drops the prompt; `decode_kwargs` (e.g. `skip_special_tokens=True`) go to
    `tokenizer.decode`.
    """

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, **decode_kwargs: Any) -> None:
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self.token_cache: list[int] = []
        self.print_len = 0
        self.next_tokens_are_prompt = True

    def put(self, value: Any) -> None:
        tokens = _token_list(value)
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.next_tokens_are_prompt = False
        self.token_cache.extend(tokens)
        text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
        if text.endswith("\n"):
            printable = text[self.print_len :]
            self.token_cache = []
            self.print_len = 0
        elif text.endswith(_INCOMPLETE):
            printable = ""  # the rest of the character comes with the next token
        elif text and is_cjk_char(ord(text[-1])):
            printable = text[self.print_len :]
            self.print_len += len(printable)
        else:
            printable = text[self.print_len : text.rfind(" ") + 1]
            self.print_len += len(printable)
        self.on_finalized_text(printable)

    def end(self) -> None:
        printable = ""
        if self.token_cache:
            text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
            printable = text[self.print_len :]
        self.token_cache = []
        self.print_len = 0
        self.next_tokens_are_prompt = True
        self.on_finalized_text(printable, stream_end=True)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        print(text, flush=True, end="" if not stream_end else None)


class TextIteratorStreamer(TextStreamer):
    """Yields text pieces from another thread: run `generate` in a thread, iterate here.

    `timeout` (seconds) bounds each wait, raising `queue.Empty` when exceeded.
    """

    def __init__(
        self,
        tokenizer: Any,
        skip_prompt: bool = False,
        timeout: float | None = None,
        **decode_kwargs: Any,
    ) -> None:
        super().__init__(tokenizer, skip_prompt, **decode_kwargs)
        self.text_queue: Queue = Queue()
        self.stop_signal = None
        self.timeout = timeout

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.text_queue.put(text, timeout=self.timeout)
        if stream_end:
            self.text_queue.put(self.stop_signal, timeout=self.timeout)

    def __iter__(self) -> TextIteratorStreamer:
        return self

    def __next__(self) -> str:
        value = self.text_queue.get(timeout=self.timeout)
        if value is self.stop_signal:
            raise StopIteration
        return value
