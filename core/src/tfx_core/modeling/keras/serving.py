"""Serve a TF model to the pipelines, which batch and post-process with torch tensors.

`TorchView(model)` passes the pipeline's torch inputs to the Keras model as numpy (no copy on
CPU) and hands its outputs back as torch tensors, so every task's preprocessing and
postprocessing is shared by all frameworks. Used by `pipeline(..., framework="tf")`.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):  # a torch tensor
        return value.detach().cpu().numpy()
    return value


def _to_torch(value: Any) -> Any:
    import torch

    if isinstance(value, (tuple, list)):
        return type(value)(_to_torch(v) for v in value)
    if hasattr(value, "numpy") and hasattr(value, "dtype"):  # a tf tensor or variable
        return torch.from_numpy(np.array(value.numpy()))
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return value


class TorchView:
    """A Keras model seen through torch tensors (inputs in, outputs out)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        base = getattr(model, getattr(model, "base_model_prefix", ""), None) or model
        call = getattr(type(base), "signature_call", type(base).call)  # the keywords it takes
        self._accepted = set(inspect.signature(call).parameters) - {"self"}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    @property
    def device(self) -> Any:
        import torch

        return torch.device("cpu")

    def parameters(self) -> Any:
        return iter(())

    def eval(self) -> TorchView:
        return self

    def to(self, *args: Any, **kwargs: Any) -> TorchView:
        return self

    def forward(self, **inputs: Any) -> Any:
        return self(**inputs)

    def __call__(self, **inputs: Any) -> Any:
        kept = {k: _to_numpy(v) for k, v in inputs.items() if k in self._accepted}
        outputs = self.model(**kept)
        return type(outputs)(**{key: _to_torch(value) for key, value in outputs.items()})

    def generate(self, input_ids: Any = None, attention_mask: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("streamer") is not None:
            from tfx_core.errors import GenerationError

            raise GenerationError("Streaming is not supported by TF generate (it runs compiled).")
        kwargs.pop("streamer", None)
        out = self.model.generate(_to_numpy(input_ids), _to_numpy(attention_mask), **kwargs)
        return _to_torch(out)
