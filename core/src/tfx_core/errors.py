"""Typed errors: every failure a user can cause says what is wrong and what to do.

All of them derive from `TfxError`, so `except TfxError` catches anything tfx raises on purpose;
each also derives from the built-in exception a caller would naturally expect (`ValueError`,
`OSError`, ...), so code written against the reference library keeps working.
"""

from __future__ import annotations

from typing import Any


class TfxError(Exception):
    """Base class of every error tfx raises on purpose."""


class ConfigError(TfxError, ValueError):
    """A configuration value or file is invalid."""


class PluginError(TfxError):
    """A plugin could not be loaded or does not provide what was asked."""


class PluginConflictError(PluginError):
    """Two installed plugins claim the same model type or task."""


class ModelTypeNotFoundError(PluginError):
    """No installed plugin serves a checkpoint's `model_type`."""


class HeadNotSupportedError(PluginError):
    """An architecture exists but does not provide the requested head or framework."""


class HubError(TfxError, OSError):
    """A model could not be resolved to files on disk."""


class RepositoryNotFoundError(HubError):
    """The repository id does not exist (or is private and no token was given)."""


class RevisionNotFoundError(HubError):
    """The repository exists but the revision (branch, tag or commit) does not."""


class EntryNotFoundError(HubError):
    """The repository and revision exist but a required file does not."""


class OfflineModeError(HubError):
    """Files are not in the local cache and network access is disabled."""


class WeightsError(TfxError, OSError):
    """A weights file cannot be read or written."""


class CheckpointNotFoundError(WeightsError):
    """A folder holds no weights file tfx can read."""


class CorruptCheckpointError(WeightsError):
    """A weights file is truncated, malformed or inconsistent with its index."""


class UnsafeCheckpointError(WeightsError):
    """A pickle-based weights file was found but loading it was not explicitly allowed."""


class LoadError(TfxError):
    """A strict load found missing, unexpected or mismatched weights."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class TokenizerError(TfxError, ValueError):
    """Tokenizer files or tokenizer inputs are invalid."""


class ToolSchemaError(TokenizerError):
    """A Python function given as a chat tool cannot be turned into a JSON schema."""


class DocstringParsingError(ToolSchemaError):
    """A tool function's docstring is missing or does not describe its arguments."""


class TypeHintParsingError(ToolSchemaError):
    """A tool function's type hint is missing or has no JSON-schema equivalent."""


class GenerationError(TfxError, ValueError):
    """A generation request is invalid."""


class PipelineError(TfxError, ValueError):
    """A pipeline request is invalid."""


class ProcessorError(TfxError, ValueError):
    """An image or audio input, or a processor's settings, are invalid."""
