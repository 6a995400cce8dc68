"""Errors of the SDK, in the core's hierarchy so `except TfxError` catches them too."""

from __future__ import annotations

from tfx_core.errors import TfxError


class ScaffoldError(TfxError, ValueError):
    """`tfx-sdk new` cannot render: a bad or taken name, an existing folder, missing templates."""


class CheckError(TfxError, ValueError):
    """`tfx-sdk check` cannot run the kit on a folder (not a plugin package, not installed)."""
