"""Import Keras 3 on the TensorFlow backend, without overriding a user's explicit choice.

Keras reads `KERAS_BACKEND` once, when it is first imported. tfx sets it to "tensorflow" only
when it is unset (`os.environ.setdefault`) and before importing keras; if the user chose another
backend, or keras was already imported with one, tfx's TensorFlow models refuse with a
`ConfigError` that says how to fix it, instead of failing later inside a layer.
"""

from __future__ import annotations

import os
from typing import Any

from tfx_core.errors import ConfigError

BACKEND = "tensorflow"


def _missing(package: str) -> ConfigError:
    return ConfigError(
        f"tfx's TensorFlow models need {package}: pip install 'tfx-core[tf]' "
        "(TensorFlow and Keras 3)."
    )


def load() -> tuple[Any, Any]:
    """`(keras, tensorflow)`, with Keras on the TensorFlow backend."""
    os.environ.setdefault("KERAS_BACKEND", BACKEND)
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise _missing("tensorflow") from exc
    try:
        import keras
    except ImportError as exc:
        raise _missing("keras>=3") from exc
    version = int(str(getattr(keras, "__version__", "0")).split(".")[0] or 0)
    if version < 3:
        raise ConfigError(
            f"tfx needs Keras 3, found keras {keras.__version__}: pip install -U 'keras>=3'."
        )
    active = keras.backend.backend()
    if active != BACKEND:
        raise ConfigError(
            f"Keras runs on the {active!r} backend (KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r})"
            ", but tfx's TF models need 'tensorflow'. Set KERAS_BACKEND=tensorflow before "
            "importing keras, or use the PyTorch / Flax models."
        )
    return keras, tf


keras, tf = load()
