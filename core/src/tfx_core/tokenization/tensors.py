"""Framework tensors for tokenizer outputs, importing a framework only when it is asked for.

Encodings are collated into numpy arrays first (no Python lists on the way); "pt" wraps them
without a copy, "tf" and "jax" convert them. The reference returns int32 for TF and JAX (their
default integer type) and int64 otherwise; tfx keeps those dtypes.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from tfx_core.errors import TokenizerError

TENSOR_TYPES = ("np", "pt", "tf", "jax")
#: return_tensors kind -> (module to import, pip package, tfx-core extra)
_PACKAGES = {
    "pt": ("torch", "torch", "torch"),
    "tf": ("tensorflow", "tensorflow", "tf"),
    "jax": ("jax", "jax", "flax"),
}


class FrameworkNotInstalledError(TokenizerError, ImportError):
    """`return_tensors` asked for a framework that is not installed."""


def check_tensor_type(return_tensors: Any) -> str | None:
    """Validate `return_tensors`: None, "np", "pt", "tf" or "jax" (or the reference's enum)."""
    if return_tensors is None:
        return None
    value = getattr(return_tensors, "value", return_tensors)
    if value not in TENSOR_TYPES:
        raise TokenizerError(
            f"return_tensors={return_tensors!r} is not supported: use None (Python lists), "
            "'np' (numpy), 'pt' (PyTorch), 'tf' (TensorFlow) or 'jax' (JAX)."
        )
    return value


def import_framework(kind: str) -> Any:
    """The framework module for `kind`, or an error naming the package to install."""
    module, package, extra = _PACKAGES[kind]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise FrameworkNotInstalledError(
            f"return_tensors={kind!r} needs {package}, which is not installed. Install it with "
            f"`pip install {package}` (or `pip install tfx-core[{extra}]`), or use "
            "return_tensors='np'."
        ) from exc


def from_numpy(array: np.ndarray, kind: str) -> Any:
    """Wrap a numpy array as a `kind` tensor ("np" returns it unchanged)."""
    if kind == "np":
        return array
    if kind == "pt":
        torch = import_framework("pt")
        return torch.from_numpy(np.ascontiguousarray(array))
    if array.dtype == np.int64:
        array = array.astype(np.int32)
    if kind == "tf":
        tf = import_framework("tf")
        return tf.constant(array)
    import_framework("jax")
    import jax.numpy as jnp

    return jnp.asarray(array)


def is_tensor(value: Any, kind: str) -> bool:
    if kind == "np":
        return isinstance(value, np.ndarray)
    module = type(value).__module__.split(".", 1)[0]
    return module == {"pt": "torch", "tf": "tensorflow", "jax": "jaxlib"}[kind] or (
        kind == "jax" and module == "jax"
    )


def to_numpy(value: Any, *, key: str = "value") -> np.ndarray:
    """Lists (or tensors) of ints as one rectangular numpy array, or a clear error."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy") and not isinstance(value, (list, tuple)):
        return np.asarray(
            value.detach().cpu().numpy() if hasattr(value, "detach") else value.numpy()
        )
    try:
        array = np.asarray(value)
    except ValueError as exc:
        raise _ragged(key) from exc
    if array.dtype == object:
        raise _ragged(key)
    if array.size == 0 and array.dtype == np.float64:
        array = array.astype(np.int64)
    return array


def _ragged(key: str) -> TokenizerError:
    return TokenizerError(
        f"Cannot build a tensor from {key!r}: its rows have different lengths. Pass padding=True "
        "(and truncation=True for long texts) so every row has the same length."
    )


def convert_value(value: Any, kind: str, *, key: str = "value") -> Any:
    if is_tensor(value, kind):
        return value
    return from_numpy(to_numpy(value, key=key), kind)


def to_python(value: Any) -> Any:
    """numpy arrays / framework tensors to Python lists and ints; other values unchanged."""
    if isinstance(value, (list, tuple)):
        if all(type(item) is int for item in value):
            return list(value)
        return [to_python(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        if hasattr(value, "detach"):
            value = value.detach().cpu()
            return value.tolist()
        return tolist()
    numpy = getattr(value, "numpy", None)
    if callable(numpy):
        return numpy().tolist()
    return value
