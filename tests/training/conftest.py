"""Shared helpers for the Trainer tests: the `tiny` module (tiny BERT models and datasets)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
os.environ.setdefault("USE_TF", "0")  # the reference library must not import TensorFlow
os.environ.setdefault("USE_FLAX", "0")


def _load_tiny():
    spec = importlib.util.spec_from_file_location("tfx_training_tiny", HERE / "tiny.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tiny_module = _load_tiny()


@pytest.fixture
def tiny():
    return tiny_module


@pytest.fixture
def script_env():
    """Environment for subprocess runs: offline, one thread, no TensorFlow in transformers."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", USE_TF="0", USE_FLAX="0")
    env.pop("WORLD_SIZE", None)
    return env


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train faster on one thread, and a busy machine does not stall them."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
