"""Shared fixtures for the core's tests."""

import pytest

from tfx_core.plugins import reset_registry


@pytest.fixture
def fresh_registry(monkeypatch):
    """A registry rebuilt from the current environment, restored after the test."""
    reset_registry()
    yield
    reset_registry()
