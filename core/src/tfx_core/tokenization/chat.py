"""Render chat templates (jinja2, sandboxed) the way the reference renders them.

Templates come from the checkpoint (`chat_template` in tokenizer_config.json, or
`chat_template.jinja`), so they are untrusted text: they run in jinja2's
`ImmutableSandboxedEnvironment`, with the reference's extras (`raise_exception`, `strftime_now`,
a `tojson` that keeps non-ASCII text, loop controls, and the `{% generation %}` block).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.chat_limits import bounded_environment, render_bounded
from tfx_core.tokenization.tool_schema import tool_schemas

_CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG "


def _raise_exception(message: str) -> None:
    import jinja2

    raise jinja2.exceptions.TemplateError(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: Any = None,
    separators: Any = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _generation_extension() -> type:
    """`{% generation %}...{% endgeneration %}` marks assistant text; tfx renders its body."""
    from jinja2 import nodes
    from jinja2.ext import Extension

    class GenerationBlock(Extension):
        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

        def _render(self, caller: Any) -> str:
            return caller()

    return GenerationBlock


@lru_cache(maxsize=32)
def compile_template(source: str) -> Any:
    """A compiled sandboxed template (cached: pipelines render the same one per call)."""
    try:
        import jinja2
    except ImportError as exc:  # jinja2 is a dependency of tfx-core; say so if it is missing
        raise TokenizerError("Chat templates need jinja2>=3.1: `pip install jinja2`.") from exc
    env = bounded_environment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_generation_extension(), jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TokenizerError(
            f"The chat template is not valid jinja2 (line {exc.lineno}): {exc}"
        ) from exc


def select_template(
    templates: str | dict[str, str] | None, name_or_source: str | None, tools: Any
) -> str:
    """Pick the template: an explicit one, a named one, 'tool_use' when tools are given, 'default'."""
    if isinstance(templates, dict):
        if name_or_source is not None:
            if name_or_source in templates:
                return templates[name_or_source]
            return name_or_source
        if tools is not None and "tool_use" in templates:
            return templates["tool_use"]
        if "default" in templates:
            return templates["default"]
        raise TokenizerError(
            "This tokenizer has several chat templates and none is called 'default': pass "
            f"chat_template= one of {', '.join(sorted(templates))}."
        )
    if name_or_source is not None:
        return name_or_source
    if templates is None:
        raise TokenizerError(
            "This tokenizer has no chat template (no 'chat_template' in tokenizer_config.json and "
            "no chat_template.jinja). Pass chat_template='...' or set tokenizer.chat_template."
        )
    return templates


def _final_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, (list, tuple)):
        for block in reversed(content):
            if isinstance(block, dict) and "text" in block:
                return block["text"]
        raise TokenizerError(
            "continue_final_message=True but the final message has no text block to continue."
        )
    if not isinstance(content, str):
        raise TokenizerError("continue_final_message=True needs a final message with text content.")
    return content


def _tag_final(conversation: list[dict]) -> list[dict]:
    conversation = copy.deepcopy(conversation)
    content = conversation[-1].get("content")
    if isinstance(content, (list, tuple)):
        for block in reversed(content):
            if isinstance(block, dict) and "text" in block:
                block["text"] = block["text"] + _CONTINUE_TAG
                break
    else:
        conversation[-1]["content"] = content + _CONTINUE_TAG
    return conversation


def render(
    conversations: list[list[dict]],
    source: str,
    *,
    add_generation_prompt: bool,
    continue_final_message: bool,
    tools: list[dict | Callable] | None,
    documents: list[dict] | None,
    variables: dict[str, Any],
) -> list[str]:
    """Render each conversation to a prompt string."""
    if continue_final_message and add_generation_prompt:
        raise TokenizerError(
            "continue_final_message and add_generation_prompt cannot both be set: the first "
            "continues the last message, the second starts a new assistant message."
        )
    tools = tool_schemas(tools)  # functions become JSON schemas, dicts pass as given
    if documents is not None and not all(isinstance(doc, dict) for doc in documents):
        raise TokenizerError("documents must be a list of dicts with 'title' and 'text' keys.")
    template = compile_template(source)
    rendered = []
    for conversation in conversations:
        messages = getattr(conversation, "messages", conversation)
        if not isinstance(messages, (list, tuple)) or not all(
            isinstance(m, dict) for m in messages
        ):
            raise TokenizerError(
                "A conversation must be a list of message dicts like "
                "{'role': 'user', 'content': 'Hi'}."
            )
        if continue_final_message:
            if not messages:
                raise TokenizerError("continue_final_message=True needs at least one message.")
            final = _final_text(messages[-1])
            messages = _tag_final(list(messages))
        try:
            text = render_bounded(
                template,
                messages=messages,
                tools=tools,
                documents=documents,
                add_generation_prompt=add_generation_prompt,
                **variables,
            )
        except TokenizerError:
            raise
        except Exception as exc:
            raise TokenizerError(f"The chat template failed to render: {exc}") from exc
        if continue_final_message:
            tag = _CONTINUE_TAG.strip()
            if final.strip() not in text or tag not in text:
                raise TokenizerError(
                    "continue_final_message=True but the chat template dropped part of the final "
                    "message, so it cannot be continued."
                )
            at = text.rindex(tag)
            if text[at : at + len(_CONTINUE_TAG)] == _CONTINUE_TAG:
                text = text[:at]
            else:  # the template trimmed the space after the tag
                text = text[:at].rstrip()
        rendered.append(text)
    return rendered
