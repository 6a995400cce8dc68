"""`BatchFeature`: what processors return, a dict of model inputs with tensor conversion."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfx_core.errors import ProcessorError
from tfx_core.tokenization.tensors import check_tensor_type, from_numpy


class BatchFeature(dict):
    """Model inputs by name (`pixel_values`, `input_values`, `attention_mask`, ...).

    Values are lists of numpy arrays until `convert_to_tensors(kind)` stacks them into one
    `[batch, ...]` array and wraps it as `kind` ("np", "pt", "tf" or "jax").
    """

    def __init__(self, data: dict[str, Any] | None = None, tensor_type: Any = None) -> None:
        super().__init__(data or {})
        self.convert_to_tensors(tensor_type)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def convert_to_tensors(self, tensor_type: Any = None) -> BatchFeature:
        kind = check_tensor_type(tensor_type)
        if kind is None:
            return self
        for key, value in self.items():
            self[key] = from_numpy(_stack(key, value), kind)
        return self

    def to(self, *args: Any, **kwargs: Any) -> BatchFeature:
        """Move torch tensors to a device; a dtype applies to floating-point tensors only."""
        import torch

        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        for arg in args:
            if isinstance(arg, torch.dtype):
                dtype = arg
            else:
                device = arg
        for key, value in self.items():
            if isinstance(value, torch.Tensor):
                if dtype is not None and value.is_floating_point():
                    value = value.to(dtype)
                if device is not None:
                    value = value.to(device)
                self[key] = value
        return self


def _stack(key: str, value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy") and not isinstance(value, (list, tuple)):
        return value.numpy()
    rows = [np.asarray(row) for row in value]
    shapes = {row.shape for row in rows}
    if len(shapes) > 1:
        raise ProcessorError(
            f"Cannot batch {key!r} into one tensor: the items have different shapes "
            f"{sorted(shapes)}. Pad them (padding=True for audio) or resize images to one size."
        )
    return np.stack(rows) if rows else np.zeros((0,), dtype=np.float32)
