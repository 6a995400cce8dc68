"""`Tokenizer.pad`: pad inputs that were encoded earlier (a data collator's job).

Accepts what the reference accepts: a dict of lists, a list of dicts (a batch of examples), a
`BatchEncoding`, with lists, numpy arrays or tensors as values. Tensors in means the same kind
of tensors out unless `return_tensors` says otherwise. Only the model-input keys are padded
(`input_ids`, `token_type_ids`, `attention_mask`, `special_tokens_mask`); others pass through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.batch_encoding import BatchEncoding
from tfx_core.tokenization.strategies import resolve
from tfx_core.tokenization.tensors import to_python


def _tensor_kind(value: Any) -> str | None:
    if isinstance(value, (np.ndarray, np.generic)):
        return "np"
    module = type(value).__module__.split(".", 1)[0]
    return {"torch": "pt", "tensorflow": "tf", "jax": "jax", "jaxlib": "jax"}.get(module)


def _first_leaf(values: Any) -> Any:
    if isinstance(values, (list, tuple)):
        for item in values:
            if isinstance(item, (list, tuple)):
                if item:
                    return item[0]
            else:
                return item
    return values


def pad_inputs(
    tokenizer: Any,
    encoded_inputs: Any,
    *,
    padding: Any,
    max_length: int | None,
    pad_to_multiple_of: int | None,
    padding_side: str | None,
    return_attention_mask: bool | None,
    return_tensors: str | None,
) -> BatchEncoding:
    if (
        isinstance(encoded_inputs, (list, tuple))
        and encoded_inputs
        and isinstance(encoded_inputs[0], Mapping)
    ):
        keys = list(encoded_inputs[0])
        encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in keys}
    if not isinstance(encoded_inputs, Mapping):
        raise TokenizerError(
            "pad() takes a dict of encoded inputs, a list of such dicts, or a BatchEncoding, "
            f"got {type(encoded_inputs).__name__}."
        )
    main = tokenizer.model_input_names[0]
    if main not in encoded_inputs:
        raise TokenizerError(
            f"pad() needs the {main!r} key; the inputs have {sorted(encoded_inputs)}."
        )
    inputs = dict(encoded_inputs)
    required = inputs[main]
    if required is None or (hasattr(required, "__len__") and len(required) == 0):
        if return_attention_mask:
            inputs["attention_mask"] = []
        return BatchEncoding(inputs)

    if return_tensors is None:
        kind = _tensor_kind(required) or _tensor_kind(_first_leaf(required))
        if kind is not None:
            return_tensors = kind
    inputs = {key: to_python(value) for key, value in inputs.items()}
    strategy = resolve(
        padding,
        None,
        max_length,
        None,
        model_max_length=tokenizer.model_max_length,
        has_pad_token=tokenizer.pad_token is not None or padding in (False, "do_not_pad"),
    )
    side = padding_side if padding_side is not None else tokenizer.padding_side
    if side not in ("left", "right"):
        raise TokenizerError(f"padding_side must be 'left' or 'right', got {side!r}.")
    if return_attention_mask is None:
        return_attention_mask = "attention_mask" in tokenizer.model_input_names
    pad_values = {
        main: tokenizer.pad_token_id,
        "token_type_ids": tokenizer.pad_token_type_id,
        "attention_mask": 0,
        "special_tokens_mask": 1,
    }

    def pad(example: dict[str, Any], length: int | None, how: str) -> dict[str, Any]:
        return _pad_row(
            example, main, length, how, pad_to_multiple_of, return_attention_mask, pad_values, side
        )

    required = inputs[main]
    if required and not isinstance(required[0], (list, tuple)):
        padded = pad(inputs, strategy.max_length, strategy.padding)
        return BatchEncoding(padded, tensor_type=return_tensors)

    size = len(required)
    for key, value in inputs.items():
        if not isinstance(value, (list, tuple)) or len(value) != size:
            raise TokenizerError(
                f"pad(): {key!r} has {len(value) if hasattr(value, '__len__') else 'no'} rows but "
                f"{main!r} has {size}."
            )
    # A batch padded to its longest row is padded to one fixed length.
    length, how = strategy.max_length, strategy.padding
    if how == "longest":
        length, how = max(len(ids) for ids in required), "max_length"
    outputs: dict[str, list] = {}
    for i in range(size):
        padded = pad({key: value[i] for key, value in inputs.items()}, length, how)
        for key, value in padded.items():
            outputs.setdefault(key, []).append(value)
    return BatchEncoding(outputs, tensor_type=return_tensors)


def _pad_row(
    example: dict[str, Any],
    main: str,
    length: int | None,
    strategy: str,
    multiple: int | None,
    return_attention_mask: bool,
    pad_values: dict[str, Any],
    side: str,
) -> dict[str, Any]:
    ids = example[main]
    if strategy == "longest":
        length = len(ids)
    if length is not None and multiple and length % multiple:
        length += multiple - length % multiple
    if return_attention_mask and "attention_mask" not in example:
        example["attention_mask"] = [1] * len(ids)
    missing = 0 if strategy == "do_not_pad" or length is None else length - len(ids)
    if missing > 0:
        for key, value in pad_values.items():
            if key in example:
                fill = [value] * missing
                rows = list(example[key])
                example[key] = fill + rows if side == "left" else rows + fill
    return example
