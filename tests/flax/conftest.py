"""Flax tests: skipped without JAX; run in their own pytest process (see the Makefile) so the
host platform can expose two CPU devices for the data-parallel training test."""

from __future__ import annotations

import os
import sys

if "jax" not in sys.modules:  # must precede the first JAX import to take effect
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=2".strip()

import pytest

pytest.importorskip("jax")
pytest.importorskip("flax.nnx")

import importlib.util
from pathlib import Path

# The shared helpers, importable as `flax_reference` (tests run with --import-mode=importlib).
_spec = importlib.util.spec_from_file_location(
    "flax_reference", Path(__file__).with_name("reference.py")
)
flax_reference = importlib.util.module_from_spec(_spec)
sys.modules["flax_reference"] = flax_reference
_spec.loader.exec_module(flax_reference)
