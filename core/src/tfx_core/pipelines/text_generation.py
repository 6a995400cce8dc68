"""`text-generation`: continue a prompt, or answer a chat, with a causal language model.

Each input gives a list of `num_return_sequences` records `{"generated_text": ...}` (the prompt
plus its continuation, or only the new text with `return_full_text=False`; for a chat, the
message list with the assistant's reply appended). Any `generate` keyword passes through
(`max_new_tokens`, `do_sample`, `num_beams`, `streamer`, ...). Prompts of a batch are padded on
the left, and each result is cut back to its own prompt and its own end of text, so results do
not depend on the batch size. `stream(prompt)` yields the new text piece by piece.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline
from tfx_core.pipelines.chat import Chat, is_chat, render_chat

#: What the pipeline generates by default, like the reference's pipeline (free-form sampling).
PIPELINE_GENERATION_DEFAULTS = {"max_new_tokens": 256, "do_sample": True, "temperature": 0.7}
RETURN_TYPES = ("full_text", "new_text", "tensors")


class TextGenerationPipeline(Pipeline):
    """Complete prompts (`pipe("Once upon a time")`) or chats (`pipe([{"role": ...}])`)."""

    task = "text-generation"
    padding_side = "left"
    model_input_pads = {"input_ids": None, "attention_mask": 0}

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        self.generation_config = _pipeline_generation_config(model)
        super().__init__(model, tokenizer, **kwargs)
        if getattr(self.generation_config, "pad_token_id", None) is None:
            pad = self.encoder.ids["pad"]
            self.generation_config.pad_token_id = (
                pad if pad is not None else _first_eos(self.generation_config, self.encoder)
            )

    def _sanitize_parameters(
        self,
        return_full_text: bool | None = None,
        return_tensors: bool | None = None,
        return_text: bool | None = None,
        return_type: str | None = None,
        clean_up_tokenization_spaces: bool | None = None,
        prefix: str | None = None,
        handle_long_generation: str | None = None,
        stop_sequence: str | None = None,
        truncation: bool | None = None,
        continue_final_message: bool | None = None,
        skip_special_tokens: bool | None = None,
        add_special_tokens: bool | None = None,
        padding: Any = None,
        tokenizer_encode_kwargs: dict[str, Any] | None = None,
        **generate_kwargs: Any,
    ) -> tuple[dict, dict, dict]:
        pre: dict[str, Any] = {}
        if tokenizer_encode_kwargs is not None:
            pre["encode_kwargs"] = _encode_kwargs(tokenizer_encode_kwargs)
        for name, value in (
            ("prefix", prefix),
            ("truncation", truncation),
            ("continue_final_message", continue_final_message),
            ("add_special_tokens", add_special_tokens),
        ):
            if value is not None:
                pre[name] = value
        if handle_long_generation is not None:
            if handle_long_generation != "hole":
                raise PipelineError(
                    f'handle_long_generation must be None or "hole", got {handle_long_generation!r}.'
                )
            pre["handle_long_generation"] = handle_long_generation
            pre["max_new_tokens"] = generate_kwargs.get("max_new_tokens")
        if stop_sequence is not None:
            (encoding,) = self.encoder.encode([stop_sequence], add_special_tokens=False)[0]
            if not encoding.ids:
                raise PipelineError(f"stop_sequence {stop_sequence!r} encodes to no token.")
            generate_kwargs["eos_token_id"] = encoding.ids
        if "max_length" in generate_kwargs and "max_new_tokens" not in generate_kwargs:
            generate_kwargs["max_new_tokens"] = None  # the caller asked for a total length
        post: dict[str, Any] = {}
        if return_type is None:
            if return_full_text is not None:
                if return_text is not None or return_tensors is not None:
                    raise PipelineError(
                        "return_full_text cannot be combined with return_text or return_tensors."
                    )
                return_type = "full_text" if return_full_text else "new_text"
            elif return_tensors:
                if return_text is not None:
                    raise PipelineError("return_text cannot be combined with return_tensors.")
                return_type = "tensors"
        if return_type is not None:
            return_type = str(getattr(return_type, "name", return_type)).lower()
            if return_type not in RETURN_TYPES:
                raise PipelineError(f"return_type must be one of {', '.join(RETURN_TYPES)}.")
            post["return_type"] = return_type
        for name, value in (
            ("clean_up_tokenization_spaces", clean_up_tokenization_spaces),
            ("continue_final_message", continue_final_message),
            ("skip_special_tokens", skip_special_tokens),
        ):
            if value is not None:
                post[name] = value
        return pre, generate_kwargs, post

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs: Any, **options: Any) -> Any:
        if isinstance(inputs, (list, tuple)) and inputs:
            if isinstance(inputs[0], dict):
                return super().__call__(Chat(inputs), **options)
            if is_chat(inputs[0]):
                return super().__call__([Chat(chat) for chat in inputs], **options)
        elif isinstance(inputs, Iterable) and not isinstance(inputs, (str, Chat)):
            inputs = (Chat(item) if is_chat(item) else item for item in inputs)
        return super().__call__(inputs, **options)

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, (str, Chat))

    def stream(self, prompt: Any, **options: Any) -> Iterator[str]:
        """Yield the new text of one prompt (or chat) piece by piece as it is generated."""
        from tfx_core.generation import TextIteratorStreamer

        if not self._is_single(prompt) and not is_chat(prompt):
            raise PipelineError("stream() takes one prompt or one chat.")
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self(prompt, streamer=streamer, **options)
            except BaseException as exc:  # surfaced in the caller's thread
                failure.append(exc)
                end = getattr(streamer, "end", None)
                if end is not None:
                    end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        yield from streamer
        worker.join()
        if failure:
            raise failure[0]

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self,
        items: list[Any],
        prefix: str = "",
        truncation: bool = False,
        continue_final_message: bool | None = None,
        add_special_tokens: bool = False,
        handle_long_generation: str | None = None,
        max_new_tokens: int | None = None,
        encode_kwargs: dict[str, Any] | None = None,
    ) -> list[list[dict]]:
        texts = []
        specials = []
        template_kwargs = dict(encode_kwargs or {})
        truncation = template_kwargs.pop("truncation", truncation)
        max_length = template_kwargs.pop("max_length", None)
        add_special_tokens = template_kwargs.pop("add_special_tokens", add_special_tokens)
        for item in items:
            if isinstance(item, Chat):
                texts.append(
                    render_chat(
                        self.tokenizer,
                        item,
                        continue_final_message=continue_final_message,
                        template_kwargs=template_kwargs,
                    )
                )
                specials.append(False)
            elif isinstance(item, str):
                if template_kwargs:
                    raise PipelineError(
                        f"tokenizer_encode_kwargs {sorted(template_kwargs)} only apply to chat "
                        f"inputs; for text, use only {', '.join(_TEXT_ENCODE_KEYS)}."
                    )
                texts.append(prefix + item)
                specials.append(add_special_tokens)
            else:
                raise PipelineError(
                    f"The text-generation pipeline takes strings or chats (lists of "
                    f"{{'role', 'content'}} dicts), got {type(item).__name__}: {item!r}."
                )
        encoded = [None] * len(texts)
        for flag in (False, True):
            indices = [i for i, s in enumerate(specials) if s is flag]
            batch = self.encoder.encode(
                [texts[i] for i in indices],
                add_special_tokens=flag,
                truncation=truncation,
                max_length=max_length,
            )
            for i, encodings in zip(indices, batch):
                encoded[i] = encodings[0]
        features = []
        for item, enc in zip(items, encoded):
            ids = list(enc.ids)
            if not ids:
                bos = self.encoder.ids["bos"]
                if bos is None:
                    raise PipelineError(
                        "The prompt is empty and the tokenizer has no BOS token to start from."
                    )
                ids = [bos]
            if handle_long_generation == "hole":
                ids = self._hole(ids, max_new_tokens)
            features.append([{"input_ids": ids, "attention_mask": [1] * len(ids), "prompt": item}])
        return features

    def _hole(self, ids: list[int], max_new_tokens: int | None) -> list[int]:
        """Keep the end of a prompt so prompt + new tokens fit the model."""
        limit = self.encoder.model_max_length or getattr(
            self.config, "max_position_embeddings", None
        )
        new = max_new_tokens or self.generation_config.max_new_tokens
        if limit is None or new is None or len(ids) + new <= limit:
            return ids
        keep = limit - new
        if keep <= 0:
            raise PipelineError(
                f"max_new_tokens={new} does not fit in the model's {limit} positions."
            )
        return ids[-keep:]

    # ------------------------------------------------------------------ forward
    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        input_ids = model_inputs["input_ids"]
        attention_mask = model_inputs.get("attention_mask")
        rows = input_ids.shape[0]
        if rows > 1 and generate_kwargs.get("streamer") is not None:
            raise PipelineError("Streaming generates one prompt at a time: use batch_size=1.")
        config = generate_kwargs.pop("generation_config", None) or self.generation_config
        output = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            generation_config=config,
            **generate_kwargs,
        )
        sequences = getattr(output, "sequences", output)
        sequences = sequences.reshape(rows, sequences.shape[0] // rows, *sequences.shape[1:])
        prompt_width = input_ids.shape[1]
        lengths = attention_mask.sum(dim=1) if attention_mask is not None else None
        pads = [prompt_width - int(n) for n in lengths] if lengths is not None else [0] * rows
        eos = generate_kwargs.get("eos_token_id", getattr(config, "eos_token_id", None))
        return {"sequences": sequences, "left_pad": pads, "eos": [_as_ids(eos)] * rows}

    # -------------------------------------------------------------- postprocess
    def postprocess(
        self,
        chunks: list[dict],
        return_type: str = "full_text",
        clean_up_tokenization_spaces: bool = True,
        continue_final_message: bool | None = None,
        skip_special_tokens: bool = True,
    ) -> list[dict]:
        chunk = chunks[0]
        prompt_ids = chunk["input_ids"]
        prompt = chunk["prompt"]
        pad = chunk["left_pad"]
        eos = chunk["eos"]
        records = []
        decode_options = {
            "skip_special_tokens": skip_special_tokens,
            "clean_up_tokenization_spaces": clean_up_tokenization_spaces,
        }
        prompt_chars = None
        for row in chunk["sequences"].tolist():
            sequence = _trim(row[pad:], len(prompt_ids), eos)
            if return_type == "tensors":
                records.append({"generated_token_ids": sequence})
                continue
            text = self.encoder.decode(sequence, **decode_options)
            if prompt_chars is None:
                prompt_chars = len(self.encoder.decode(prompt_ids, **decode_options))
            new_text = text[prompt_chars:]
            if return_type == "new_text":
                records.append({"generated_text": new_text})
            elif isinstance(prompt, Chat):
                records.append(
                    {"generated_text": _chat_reply(prompt, new_text, continue_final_message)}
                )
            else:
                records.append({"generated_text": prompt + new_text})
        return records


#: `tokenizer_encode_kwargs` keys that act on the encoding itself; for chats the others go to
#: `apply_chat_template` (`tools`, `documents`, template variables), as the reference.
_TEXT_ENCODE_KEYS = ("add_special_tokens", "truncation", "max_length", "padding")


def _encode_kwargs(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise PipelineError(
            f"tokenizer_encode_kwargs must be a dict of keyword arguments, got {value!r}."
        )
    value = dict(value)
    value.pop("padding", None)  # the pipeline pads its batches itself
    for key in (
        "tokenize",
        "return_dict",
        "return_tensors",
        "add_generation_prompt",
        "continue_final_message",
    ):
        if key in value:
            raise PipelineError(
                f"tokenizer_encode_kwargs: {key!r} is set by the pipeline itself; remove it."
            )
    return value


def _chat_reply(chat: Chat, text: str, continue_final_message: bool | None) -> list[dict]:
    messages = list(chat.messages)
    if continue_final_message is None:
        continue_final_message = messages[-1]["role"] == "assistant"
    if continue_final_message:
        last = messages[-1]
        return [*messages[:-1], {"role": last["role"], "content": last["content"] + text}]
    return [*messages, {"role": "assistant", "content": text}]


def _trim(sequence: list[int], prompt_length: int, eos: set[int]) -> list[int]:
    """Cut a batched sequence after its first end-of-text token (the rest is padding)."""
    for index in range(prompt_length, len(sequence)):
        if sequence[index] in eos:
            return sequence[: index + 1]
    return sequence


def _as_ids(eos: Any) -> set[int]:
    if eos is None:
        return set()
    if hasattr(eos, "tolist"):
        eos = eos.tolist()
    return {int(e) for e in eos} if isinstance(eos, (list, tuple)) else {int(eos)}


def _first_eos(config: Any, encoder: Any) -> int | None:
    eos = sorted(_as_ids(getattr(config, "eos_token_id", None)))
    return eos[0] if eos else encoder.ids["eos"]


def _pipeline_generation_config(model: Any) -> Any:
    """The model's generation config with the pipeline's defaults laid over it."""
    from tfx_core.generation import GenerationConfig

    own = getattr(model, "generation_config", None)
    config = copy.deepcopy(own) if own is not None else GenerationConfig()
    global_defaults = GenerationConfig()
    for name, value in PIPELINE_GENERATION_DEFAULTS.items():
        setattr(config, name, value)
    if own is not None:
        max_length = getattr(own, "max_length", None)
        if max_length is not None and max_length != getattr(global_defaults, "max_length", None):
            config.max_new_tokens = None  # the checkpoint asks for a total length instead
    return config
