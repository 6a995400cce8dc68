"""Dtype names: safetensors' short names ("F32", "BF16", ...) are the one vocabulary tfx reports.

numpy has no bfloat16 or float8; those load as numpy arrays only when `ml_dtypes` (shipped with
jax and tensorflow) is installed, and otherwise raise an error that says to use torch.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import WeightsError

#: torch dtype name (`str(dtype)` without "torch.") -> safetensors name.
TORCH_TO_SAFE = {
    "bool": "BOOL",
    "uint8": "U8",
    "int8": "I8",
    "float8_e4m3fn": "F8_E4M3",
    "float8_e5m2": "F8_E5M2",
    "int16": "I16",
    "uint16": "U16",
    "float16": "F16",
    "bfloat16": "BF16",
    "int32": "I32",
    "uint32": "U32",
    "float32": "F32",
    "int64": "I64",
    "uint64": "U64",
    "float64": "F64",
}

#: safetensors name -> numpy dtype name (the float8/bfloat16 ones come from ml_dtypes).
SAFE_TO_NUMPY = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "I16": "int16",
    "U16": "uint16",
    "F16": "float16",
    "I32": "int32",
    "U32": "uint32",
    "F32": "float32",
    "I64": "int64",
    "U64": "uint64",
    "F64": "float64",
}
_ML_DTYPES = {"BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}


def torch_dtype_name(dtype: Any) -> str:
    """The safetensors name of a torch dtype (e.g. torch.bfloat16 -> "BF16")."""
    name = str(dtype).removeprefix("torch.")
    return TORCH_TO_SAFE.get(name, name.upper())


def numpy_dtype(safe_name: str, key: str) -> Any:
    """The numpy dtype for a safetensors dtype, or a clear error when numpy cannot hold it."""
    import numpy as np

    if safe_name in SAFE_TO_NUMPY:
        return np.dtype(SAFE_TO_NUMPY[safe_name])
    if safe_name in _ML_DTYPES:
        try:
            import ml_dtypes
        except ImportError:
            pass
        else:
            return np.dtype(getattr(ml_dtypes, _ML_DTYPES[safe_name]))
    raise WeightsError(
        f"Tensor {key!r} is stored as {safe_name}, which numpy cannot hold. Read it with "
        "framework='pt', or install `ml_dtypes` for numpy support of bfloat16/float8."
    )


def torch_to_numpy(tensor: Any, key: str) -> Any:
    """A numpy view of a CPU torch tensor, bfloat16/float8 included (via ml_dtypes)."""
    name = torch_dtype_name(tensor.dtype)
    if name in SAFE_TO_NUMPY:
        return tensor.numpy()
    import torch

    target = numpy_dtype(name, key)  # raises when numpy cannot hold it
    raw = torch.int16 if target.itemsize == 2 else torch.int8
    return tensor.view(raw).numpy().view(target)
