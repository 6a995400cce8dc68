"""The `Pipeline` base: one item, a list, or a stream in; batched model calls; results in order.

A task subclass writes four steps:

* `_sanitize_parameters(**options) -> (preprocess, forward, postprocess)` keyword dicts;
* `preprocess(item, **p)` -> one feature dict, or a list of them when an item is split into
  chunks (long contexts). A feature holds model inputs as plain int lists (`input_ids`,
  `attention_mask`, ...) and anything postprocessing needs. `preprocess_batch(items, **p)`
  may replace it to tokenize a whole window of items in one call;
* `_forward(model_inputs, **p) -> dict` of batched tensors;
* `postprocess(chunks, **p)` -> the item's result, from its chunks (feature + model outputs).

The base runs features in batches of `batch_size` across items (sorted by length inside a window,
so batches carry little padding), crops token-level outputs back to each feature's own length
(results do not depend on the batch size), and yields results in input order. Torch is imported
on first use only.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from tfx_core.errors import PipelineError
from tfx_core.pipelines.encoding import TextEncoder

#: Items read ahead per window, in batches: enough to sort by length, small enough to stream.
WINDOW_BATCHES = 16


class Pipeline:
    """Base class of every pipeline task (see the module docstring for the contract)."""

    task: ClassVar[str] = ""
    #: Model inputs padded into tensors by the collate step, with their pad values (None: the
    #: tokenizer's pad id).
    model_input_pads: ClassVar[dict[str, int | None]] = {
        "input_ids": None,
        "attention_mask": 0,
        "token_type_ids": 0,
    }
    #: `_forward` outputs with one row per token, cropped back to each feature's length.
    token_level_outputs: ClassVar[tuple[str, ...]] = ()
    #: Which side padding goes on ("left" for generation).
    padding_side: ClassVar[str] = "right"

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        config: Any = None,
        task: str | None = None,
        framework: str = "pt",
        device: Any = None,
        batch_size: int | None = None,
        **options: Any,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config if config is not None else getattr(model, "config", None)
        self.task = task or type(self).task
        self.framework = framework
        self.batch_size = _check_batch_size(batch_size) if batch_size is not None else None
        if device is not None and hasattr(model, "to"):
            model.to(device)
        if hasattr(model, "eval"):
            model.eval()
        self.encoder = TextEncoder(tokenizer) if tokenizer is not None else None
        self._accepted_inputs = _forward_parameters(model)
        self._options = self._sanitize_parameters(**options)

    # ---------------------------------------------------------------- task API
    def _sanitize_parameters(self, **options: Any) -> tuple[dict, dict, dict]:
        if options:
            raise self._unknown_options(options)
        return {}, {}, {}

    def preprocess(self, item: Any, **params: Any) -> dict | list[dict]:
        raise NotImplementedError

    def preprocess_batch(self, items: list[Any], **params: Any) -> list[list[dict]]:
        """Features for each item of a window; override to tokenize the window at once."""
        out = []
        for item in items:
            features = self.preprocess(item, **params)
            out.append(features if isinstance(features, list) else [features])
        return out

    def _forward(self, model_inputs: dict[str, Any], **params: Any) -> dict[str, Any]:
        return dict(self.model(**model_inputs))

    def postprocess(self, chunks: list[dict], **params: Any) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------- call hooks
    def _is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, (str, dict))

    def _wrap_single(self, result: Any, inputs: Any, post: dict) -> Any:
        """Shape of a single item's result (`post`: the merged postprocess options)."""
        return result

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        return results

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs: Any, *, batch_size: int | None = None, **options: Any) -> Any:
        """Run on one item, a list of items, or any iterable (then results stream out)."""
        options.pop("num_workers", None)  # reference compatibility; data loading is in-process
        pre, fwd, post = self._merged_options(options)
        size = _check_batch_size(batch_size if batch_size is not None else (self.batch_size or 1))
        if self._is_single(inputs):
            (result,) = self._run([inputs], size, pre, fwd, post)
            return self._wrap_single(result, inputs, post)
        if isinstance(inputs, (list, tuple)):
            if not inputs:
                raise PipelineError(f"The {self.task} pipeline got an empty list of inputs.")
            return self._wrap_list(list(self._run(inputs, size, pre, fwd, post)), inputs, post)
        if isinstance(inputs, Iterable) and not isinstance(inputs, (bytes, bytearray)):
            return self._run(inputs, size, pre, fwd, post)
        raise PipelineError(
            f"The {self.task} pipeline cannot read an input of type {type(inputs).__name__}: "
            "pass one item, a list of items, or an iterable of items."
        )

    def _merged_options(self, options: dict) -> tuple[dict, dict, dict]:
        base = self._options
        if not options:
            return base
        call = self._sanitize_parameters(**options)
        return tuple({**b, **c} for b, c in zip(base, call))  # type: ignore[return-value]

    def _run(self, inputs: Iterable, batch_size: int, pre: dict, fwd: dict, post: dict) -> Iterator:
        """Results in input order; an input iterator's error surfaces after what came before."""
        iterator = iter(inputs)
        window = batch_size * WINDOW_BATCHES if batch_size > 1 else 1
        done = 0
        while True:
            items: list = []
            failure: BaseException | None = None
            while len(items) < window:
                try:
                    items.append(next(iterator))
                except StopIteration:
                    break
                except Exception as exc:  # the caller's generator raised
                    failure = exc
                    break
            if items:
                yield from self._run_window(items, batch_size, pre, fwd, post)
                done += len(items)
            if failure is not None:
                raise PipelineError(
                    f"The input iterable raised {type(failure).__name__} after {done} item(s): "
                    f"{failure}. The results already produced are complete and valid."
                ) from failure
            if len(items) < window:
                return

    def _run_window(
        self, items: list, batch_size: int, pre: dict, fwd: dict, post: dict
    ) -> Iterator:
        import torch

        per_item = self.preprocess_batch(items, **pre)
        flat = [(index, feature) for index, features in enumerate(per_item) for feature in features]
        order = list(range(len(flat)))
        if batch_size > 1:
            order.sort(key=lambda k: len(flat[k][1].get("input_ids", ())))
        results: list[dict | None] = [None] * len(flat)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                picked = order[start : start + batch_size]
                features = [flat[k][1] for k in picked]
                outputs = self._forward(self._collate(features), **fwd)
                for k, output in zip(picked, self._unbatch(outputs, features)):
                    results[k] = {**flat[k][1], **output}
        chunks: list[list[dict]] = [[] for _ in items]
        for (index, _), result in zip(flat, results):
            chunks[index].append(result)  # type: ignore[arg-type]
        for item_chunks in chunks:
            yield self.postprocess(item_chunks, **post)

    # ----------------------------------------------------------------- batching
    @property
    def device(self) -> Any:
        import torch

        device = getattr(self.model, "device", None)
        if device is None:
            parameter = next(iter(self.model.parameters()), None)
            device = parameter.device if parameter is not None else torch.device("cpu")
        return device

    def _pad_value(self, key: str) -> int:
        value = self.model_input_pads.get(key, 0)
        if value is None:
            value = self.encoder.ids["pad"] if self.encoder is not None else None
            if value is None:
                value = 0
        return value

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        """Pad the model inputs of `features` into `[batch, length]` tensors on the device."""
        import torch

        batch: dict[str, Any] = {}
        device = self.device
        for key in self.model_input_pads:
            if key not in features[0] or key not in self._accepted_inputs:
                continue
            rows = [feature[key] for feature in features]
            longest = max(len(row) for row in rows)
            if key == "input_ids":
                self._check_length(longest)
            tensor = torch.full((len(rows), longest), self._pad_value(key), dtype=torch.long)
            for i, row in enumerate(rows):
                if not row:
                    continue
                values = torch.as_tensor(row, dtype=torch.long)
                if self.padding_side == "left":
                    tensor[i, longest - len(row) :] = values
                else:
                    tensor[i, : len(row)] = values
            batch[key] = tensor.to(device) if device.type != "cpu" else tensor
        return batch

    def _check_length(self, length: int) -> None:
        limit = getattr(self.config, "max_position_embeddings", None)
        if isinstance(limit, int) and length > limit:
            raise PipelineError(
                f"An input is {length} tokens long but the model reads at most {limit}. "
                "Shorten it, or let the pipeline truncate (truncation=True)."
            )

    def _unbatch(self, outputs: dict[str, Any], features: list[dict]) -> list[dict]:
        """Split batched outputs per feature, cropping token-level ones to the feature."""
        import torch

        size = len(features)
        split: list[dict] = [{} for _ in features]
        for key, value in outputs.items():
            if isinstance(value, torch.Tensor):
                value = value.detach()
                if value.device.type != "cpu":
                    value = value.cpu()
                if value.is_floating_point() and value.dtype != torch.float64:
                    value = value.float()
                crop = key in self.token_level_outputs
                for i, feature in enumerate(features):
                    row = value[i]
                    if crop:
                        length = len(feature["input_ids"])
                        row = row[-length:] if self.padding_side == "left" else row[:length]
                        if length == 0:
                            row = row[:0]
                    split[i][key] = row
            elif isinstance(value, (list, tuple)) and len(value) == size:
                for i in range(size):
                    split[i][key] = value[i]
            else:
                for i in range(size):
                    split[i][key] = value
        return split

    # -------------------------------------------------------------------- utils
    def _unknown_options(self, options: dict) -> PipelineError:
        names = ", ".join(sorted(options))
        known = ", ".join(_option_names(type(self)._sanitize_parameters)) or "none"
        return PipelineError(
            f"Unknown option(s) for the {self.task} pipeline: {names}. Known options: {known}."
        )

    def __repr__(self) -> str:
        name = getattr(self.config, "name_or_path", None) or type(self.model).__name__
        return f"{type(self).__name__}(task={self.task!r}, model={name!r})"


def _check_batch_size(batch_size: Any) -> int:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise PipelineError(f"batch_size must be a positive int, got {batch_size!r}.")
    return batch_size


def _forward_parameters(model: Any) -> set[str]:
    """Names the model's forward accepts (all of them if it takes **kwargs)."""
    forward = getattr(model, "forward", None) or model
    try:
        parameters = inspect.signature(forward).parameters
    except (TypeError, ValueError):
        return set(Pipeline.model_input_pads)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        base = getattr(model, "base_model", None)
        if base is not None and base is not model:  # a generic head passes inputs to its base
            return {*parameters, *_forward_parameters(base)}
        return {*Pipeline.model_input_pads, *parameters}
    return set(parameters)


def _option_names(function: Any) -> list[str]:
    parameters = inspect.signature(function).parameters
    return [
        name
        for name, p in parameters.items()
        if name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
