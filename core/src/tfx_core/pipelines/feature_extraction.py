"""`feature-extraction`: the model's last hidden states, one vector per token.

Like the reference, each input gives a nested list shaped `[1, tokens, hidden]` (or a tensor with
`return_tensors=True`). Unlike it, batching never pads the result: every input gets exactly its
own tokens whatever the batch size.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline


class FeatureExtractionPipeline(Pipeline):
    """Token features of texts from a base model."""

    task = "feature-extraction"
    token_level_outputs = ("last_hidden_state",)

    def _sanitize_parameters(
        self,
        truncation: bool | str | None = None,
        tokenize_kwargs: dict | None = None,
        return_tensors: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if tokenize_kwargs is not None and not isinstance(tokenize_kwargs, dict):
            raise PipelineError(
                f"tokenize_kwargs must be a dict such as {{'max_length': 128}}, got "
                f"{tokenize_kwargs!r}."
            )
        pre: dict[str, Any] = dict(tokenize_kwargs or {})
        extra = set(pre) - {"truncation", "max_length", "add_special_tokens"}
        if extra:
            raise PipelineError(
                "tokenize_kwargs supports truncation, max_length and add_special_tokens; got "
                f"{', '.join(sorted(extra))}."
            )
        if truncation is not None:
            if "truncation" in pre:
                raise PipelineError("truncation was given twice (and in tokenize_kwargs).")
            pre["truncation"] = truncation
        post = {} if return_tensors is None else {"return_tensors": bool(return_tensors)}
        return pre, {}, post

    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    def preprocess_batch(
        self,
        items: list[Any],
        truncation: bool | str = False,
        max_length: int | None = None,
        add_special_tokens: bool = True,
    ) -> list[list[dict]]:
        texts = _texts(items, self.task)
        encoded = self.encoder.encode(
            texts,
            truncation=truncation,
            max_length=max_length,
            add_special_tokens=add_special_tokens,
        )
        return [
            [
                {
                    "input_ids": enc.ids,
                    "attention_mask": enc.attention_mask,
                    "token_type_ids": enc.type_ids,
                }
            ]
            for enc, *_ in encoded
        ]

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"last_hidden_state": _first_output(self.model(**model_inputs))}

    def postprocess(self, chunks: list[dict], return_tensors: bool = False) -> Any:
        hidden = chunks[0]["last_hidden_state"].unsqueeze(0)
        return hidden if return_tensors else hidden.tolist()


def _texts(items: list[Any], task: str) -> list[str]:
    for item in items:
        if not isinstance(item, str):
            raise PipelineError(
                f"The {task} pipeline takes strings, got {type(item).__name__}: {item!r}."
            )
    return items


def _first_output(output: Any) -> Any:
    """The last hidden state of a base model's output (mapping, ModelOutput or tuple)."""
    if isinstance(output, (tuple, list)):
        return output[0]
    try:
        return output["last_hidden_state"]
    except (KeyError, TypeError):
        return output.to_tuple()[0]
