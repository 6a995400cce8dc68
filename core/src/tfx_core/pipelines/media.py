"""Shared base of the image and audio tasks: loading their processors, batching float inputs.

A media task reads its inputs with an image processor or a feature extractor (and, for CTC or
zero-shot labels, a tokenizer). `pipeline()` calls `_load_preprocessors` to load them from the
checkpoint unless they are given (`image_processor=` / `feature_extractor=` / `tokenizer=`).
Features hold numpy arrays; `_collate` stacks them (padding audio to the longest clip).
`collate_by_shape` / `forward_by_shape` batch images of mixed sizes one image at a time.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline

_PROCESSOR_KINDS = ("image_processor", "feature_extractor")


class MediaPipeline(Pipeline):
    """A task whose inputs are images or audio rather than text."""

    #: "image_processor" or "feature_extractor": the part that turns an input into features.
    processor_kind: ClassVar[str] = "image_processor"
    #: Whether the task also needs the checkpoint's tokenizer.
    needs_tokenizer: ClassVar[bool] = False
    #: Feature keys passed to the model, with their padding values (None: the extractor's).
    model_input_pads: ClassVar[dict[str, int | None]] = {
        "pixel_values": None,
        "input_values": None,
        "input_features": None,
        "attention_mask": 0,
    }

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        image_processor: Any = None,
        feature_extractor: Any = None,
        **kwargs: Any,
    ) -> None:
        self.image_processor = image_processor
        self.feature_extractor = feature_extractor
        if getattr(self, self.processor_kind) is None:
            raise PipelineError(
                f"The {kwargs.get('task') or self.task} pipeline needs "
                f"{self.processor_kind}=... (or a checkpoint with a preprocessor_config.json)."
            )
        if self.needs_tokenizer and tokenizer is None:
            raise PipelineError(
                f"The {kwargs.get('task') or self.task} pipeline needs a tokenizer."
            )
        super().__init__(model, tokenizer, **kwargs)

    @property
    def processor(self) -> Any:
        return getattr(self, self.processor_kind)

    @classmethod
    def _load_preprocessors(
        cls, source: Any, tokenizer: Any, hub: dict, options: dict
    ) -> dict[str, Any]:
        """The processors for `source` (a checkpoint folder or id), popping given ones from
        `options`."""
        from tfx_core.processing import AutoFeatureExtractor, AutoImageProcessor

        parts: dict[str, Any] = {}
        for kind in _PROCESSOR_KINDS:
            if options.get(kind) is not None:
                parts[kind] = options.pop(kind)
        wanted = parts.get(cls.processor_kind)
        if wanted is None or isinstance(wanted, (str, os.PathLike)):
            where = wanted if wanted is not None else source
            if where is None:
                raise PipelineError(
                    f"Pass {cls.processor_kind}= for a loaded model whose config does not "
                    "record the folder it came from."
                )
            auto = (
                AutoImageProcessor
                if cls.processor_kind == "image_processor"
                else AutoFeatureExtractor
            )
            parts[cls.processor_kind] = auto.from_pretrained(
                str(where), **(hub if where == source else {})
            )
        if tokenizer is None and cls.needs_tokenizer:
            tokenizer = source
        if isinstance(tokenizer, (str, os.PathLike)):
            from tfx_core.auto import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(
                str(tokenizer), **(hub if tokenizer == source else {})
            )
        parts["tokenizer"] = tokenizer
        return parts

    # ----------------------------------------------------------------- calling
    def _is_single(self, inputs: Any) -> bool:
        return not isinstance(inputs, (list, tuple)) and (
            isinstance(inputs, (str, dict, os.PathLike, np.ndarray, bytes))
            or type(inputs).__module__.startswith(("PIL.", "torch"))
        )

    @property
    def model_dtype(self) -> Any:
        dtype = getattr(self.model, "dtype", None)
        if dtype is None:
            parameter = next(iter(self.model.parameters()), None)
            dtype = parameter.dtype if parameter is not None else None
        return dtype

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        """Stack each model input of `features` (padding along the first axis) on the device."""
        import torch

        batch: dict[str, Any] = {}
        device, dtype = self.device, self.model_dtype
        for key, pad in self.model_input_pads.items():
            if key not in features[0] or key not in self._accepted_inputs:
                continue
            rows = [np.asarray(feature[key]) for feature in features]
            if pad is None:
                pad = getattr(self.processor, "padding_value", 0.0)
            tensor = torch.from_numpy(_stack_padded(rows, pad))
            if tensor.is_floating_point() and dtype is not None:
                tensor = tensor.to(dtype)
            batch[key] = tensor.to(device) if device.type != "cpu" else tensor
        return batch

    def _check_length(self, length: int) -> None:
        return None


def collate_by_shape(collate: Any, features: list[dict]) -> dict[str, Any]:
    """One batch when every image has one size; else one batch per image under "parts"
    (padding would change what the model sees, so results would depend on the batch)."""
    shapes = {tuple(feature["pixel_values"].shape) for feature in features}
    if len(shapes) == 1:
        return {**collate(features), "parts": None}
    return {"parts": [collate([feature]) for feature in features]}


def forward_by_shape(model: Any, model_inputs: dict[str, Any], keys: tuple[str, ...]) -> dict:
    """`keys` of the model's outputs for a `collate_by_shape` batch: one tensor, or one row
    per image (on the CPU) when the images' outputs differ in size."""
    import torch

    parts = model_inputs.pop("parts") or [model_inputs]
    outputs = [model(**part) for part in parts]
    merged = {}
    for key in keys:
        values = [output[key] for output in outputs]
        if len({tuple(value.shape[1:]) for value in values}) == 1:
            merged[key] = torch.cat(values)
        else:
            merged[key] = [row.detach().cpu().float() for value in values for row in value]
    return merged


def _stack_padded(rows: list[np.ndarray], pad: float) -> np.ndarray:
    longest = max(row.shape[0] for row in rows)
    if all(row.shape[0] == longest for row in rows):
        return np.stack(rows)
    padded = []
    for row in rows:
        widths = [(0, longest - row.shape[0])] + [(0, 0)] * (row.ndim - 1)
        padded.append(np.pad(row, widths, constant_values=pad))
    return np.stack(padded)
