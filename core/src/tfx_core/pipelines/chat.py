"""Chat inputs for text generation: message lists rendered through the tokenizer's template.

A chat is a list of `{"role": ..., "content": ...}` dicts. It is rendered with the tokenizer's
`apply_chat_template` (the `chat_template` of `tokenizer_config.json`, run in a jinja2 sandbox);
tokenizers without that method but with a `chat_template` string are rendered here, in the same
kind of sandbox, so a template can never reach Python objects or the file system.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError


class Chat:
    """A validated list of messages (kept as given, for the pipeline's output)."""

    def __init__(self, messages: Any) -> None:
        if not isinstance(messages, (list, tuple)) or not messages:
            raise PipelineError("A chat is a non-empty list of {'role', 'content'} messages.")
        for message in messages:
            if not isinstance(message, dict) or "role" not in message or "content" not in message:
                raise PipelineError(
                    f"Each chat message must be a dict with 'role' and 'content', got {message!r}."
                )
        self.messages = list(messages)

    def __repr__(self) -> str:
        return f"Chat({self.messages!r})"


def is_chat(value: Any) -> bool:
    """Whether `value` looks like one chat (a list of message dicts)."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(message, dict) for message in value)
    )


def render_chat(
    tokenizer: Any,
    chat: Chat,
    *,
    continue_final_message: bool | None = None,
    template_kwargs: dict[str, Any] | None = None,
) -> str:
    """The prompt text for `chat`: ready for a new assistant turn, or continuing the last one.
    `template_kwargs` go to `apply_chat_template` (`tools`, `documents`, `chat_template`, or
    variables the template reads)."""
    template_kwargs = template_kwargs or {}
    if continue_final_message is None:
        continue_final_message = chat.messages[-1]["role"] == "assistant"
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise PipelineError(
            "This tokenizer has no chat template (tokenizer_config.json 'chat_template'), so "
            "it cannot turn a message list into a prompt: pass plain text, or a tokenizer "
            "of a chat model."
        )
    render = getattr(tokenizer, "apply_chat_template", None)
    if render is None:
        if template_kwargs:
            raise PipelineError(
                f"This tokenizer has no apply_chat_template, so {sorted(template_kwargs)} cannot "
                "reach its chat template; drop them from tokenizer_encode_kwargs."
            )
        text = render_template(
            template,
            chat.messages,
            add_generation_prompt=not continue_final_message,
            special_tokens=_special_tokens(tokenizer),
        )
        return _cut_after_final_message(text, chat) if continue_final_message else text
    try:
        text = render(
            chat.messages,
            tokenize=False,
            add_generation_prompt=not continue_final_message,
            continue_final_message=continue_final_message,
            **template_kwargs,
        )
    except PipelineError:
        raise
    except Exception as exc:
        raise PipelineError(f"The chat template could not render this chat: {exc}") from exc
    if not isinstance(text, str):
        raise PipelineError("The chat template must render to text.")
    return text


def render_template(
    template: str,
    messages: list[dict],
    *,
    add_generation_prompt: bool,
    special_tokens: dict[str, str] | None = None,
) -> str:
    """Render a chat template in an immutable jinja2 sandbox (no attribute tricks, no I/O)."""
    from datetime import datetime

    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise PipelineError(f"The chat template rejected this chat: {message}")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    try:
        return env.from_string(template).render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            **(special_tokens or {}),
        )
    except TemplateError as exc:
        raise PipelineError(f"The chat template could not render this chat: {exc}") from exc


def _special_tokens(tokenizer: Any) -> dict[str, str]:
    names = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token")
    out = {}
    for name in names:
        value = getattr(tokenizer, name, None)
        if value is not None:
            out[name] = str(getattr(value, "content", value))
    return out


def _cut_after_final_message(text: str, chat: Chat) -> str:
    """Drop what the template adds after the last message, so the model continues it."""
    final = chat.messages[-1]["content"]
    if not isinstance(final, str):
        raise PipelineError("continue_final_message needs the last message's content as text.")
    stripped = final.strip()
    if stripped not in text:
        raise PipelineError(
            "continue_final_message: the chat template does not copy the last message verbatim, "
            "so the prompt cannot end inside it."
        )
    at = text.rindex(stripped)
    keep = len(final.lstrip())
    if text[at : at + keep] == final:
        return text[: at + keep]
    return text[: at + len(stripped)]
