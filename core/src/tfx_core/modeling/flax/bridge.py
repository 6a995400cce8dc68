"""Serve a Flax model to the pipelines, which batch and post-process with torch tensors.

`TorchBridge(model)` takes the pipeline's torch inputs as numpy (no copy on CPU), runs the Flax
model, and hands its outputs back as torch tensors, so every task's preprocessing and
postprocessing is shared by both frameworks. Used by `pipeline(..., framework="flax")`.
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
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return torch.from_numpy(np.array(value))
    return value


class TorchBridge:
    """A Flax model seen through torch tensors (inputs in, outputs out)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        base = getattr(model, getattr(model, "base_model_prefix", ""), None) or model
        try:
            parameters = inspect.signature(type(base).__call__).parameters
        except (TypeError, ValueError):  # pragma: no cover - every tfx model has a signature
            parameters = {}
        names = set(parameters) - {"self"}
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            names = set()  # takes any keyword (e.g. T5's heads): pass everything
        self._accepted = names

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    @property
    def device(self) -> Any:
        import torch

        return torch.device("cpu")

    def parameters(self) -> Any:
        return iter(())

    def eval(self) -> TorchBridge:
        return self

    def to(self, *args: Any, **kwargs: Any) -> TorchBridge:
        return self

    def forward(self, **inputs: Any) -> Any:
        return self(**inputs)

    def __call__(self, **inputs: Any) -> Any:
        kept = {
            k: _to_numpy(v) for k, v in inputs.items() if not self._accepted or k in self._accepted
        }
        outputs = self.model(**kept)
        converted = type(outputs)(**{key: _to_torch(value) for key, value in outputs.items()})
        return converted

    def generate(self, input_ids: Any = None, attention_mask: Any = None, **kwargs: Any) -> Any:
        if kwargs.pop("streamer", None) is not None:
            from tfx_core.errors import PipelineError

            raise PipelineError(
                "Streaming is not supported with framework='flax' (generation runs as one "
                "compiled program); drop streamer= or use the PyTorch model."
            )
        out = self.model.generate(_to_numpy(input_ids), _to_numpy(attention_mask), **kwargs)
        return _to_torch(out)
