"""Repository-wide pytest setup.

The reference (`transformers`) is the oracle only through its PyTorch classes; with TensorFlow
and JAX installed for tfx's own TF/Flax models it would otherwise import them on first use (seconds
per test process, and log noise). The tfx TF and Flax tests import those frameworks themselves.
"""

import os

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_FLAX", "0")
os.environ.setdefault("USE_TORCH", "1")
