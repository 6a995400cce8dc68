"""Resolve a local folder or a Hub id (`org/name` at a revision) to files on disk.

Everything goes through `huggingface_hub`, so its cache layout, tokens and `HF_HUB_OFFLINE`
behave exactly as they do for the reference library; a cache filled by either serves both.
Offline (`HF_HUB_OFFLINE=1` or `local_files_only=True`) no network call is made. Errors say
whether the repository, the revision or a file is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from tfx_core.errors import (
    EntryNotFoundError,
    HubError,
    OfflineModeError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")


def is_offline() -> bool:
    """Whether network access is disabled (read at call time, so tests may set the env)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _local_folder(path_or_repo_id: str | os.PathLike) -> Path | None:
    """The local folder meant by the argument, or None when it is a Hub repository id."""
    path = Path(path_or_repo_id).expanduser()
    if path.is_dir():
        return path
    text = str(path_or_repo_id)
    looks_local = isinstance(path_or_repo_id, Path) or text.startswith((".", "/", "~"))
    if looks_local or not _REPO_ID.match(text):
        raise HubError(
            f"The folder {text!r} does not exist, and it is not a Hub repository id either. "
            "Pass an existing local folder or an id such as 'sentence-transformers/all-MiniLM-L6-v2'."
        )
    return None


def _translate(exc: Exception, repo_id: str, revision: str | None, filename: str | None) -> HubError:
    """Map huggingface_hub's exceptions to tfx's, with what is missing and what to do."""
    from huggingface_hub import errors as hf_errors

    rev = revision or "main"
    if isinstance(exc, hf_errors.RevisionNotFoundError):
        return RevisionNotFoundError(
            f"Repository {repo_id!r} exists but has no revision {rev!r} (branch, tag or commit)."
        )
    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        return RepositoryNotFoundError(
            f"Repository {repo_id!r} was not found on the Hub. Check the id; if it is private "
            "or gated, log in with `huggingface-cli login` or pass token=."
        )
    if isinstance(exc, (hf_errors.LocalEntryNotFoundError, hf_errors.OfflineModeIsEnabled)):
        what = f"file {filename!r}" if filename else "snapshot"
        return OfflineModeError(
            f"The {what} of {repo_id!r} at revision {rev!r} is not in the local Hub cache and "
            "network access is disabled (HF_HUB_OFFLINE=1 or local_files_only=True). Download "
            "it once with network access, or pass a local folder."
        )
    if isinstance(exc, hf_errors.EntryNotFoundError):
        return EntryNotFoundError(
            f"Repository {repo_id!r} at revision {rev!r} has no file {filename!r}."
        )
    return HubError(f"Could not fetch {filename or 'files'} of {repo_id!r}: {exc}")


def resolve_snapshot(
    path_or_repo_id: str | os.PathLike,
    *,
    revision: str | None = None,
    allow_patterns: Sequence[str] | None = None,
    local_files_only: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
) -> Path:
    """A folder holding the model's files: the local folder itself, or a Hub cache snapshot."""
    local = _local_folder(path_or_repo_id)
    if local is not None:
        return local
    from huggingface_hub import snapshot_download

    repo_id = str(path_or_repo_id)
    offline = bool(local_files_only) or is_offline()
    try:
        folder = snapshot_download(
            repo_id,
            revision=revision,
            allow_patterns=list(allow_patterns) if allow_patterns else None,
            local_files_only=offline,
            cache_dir=cache_dir,
            token=token,
        )
    except HubError:
        raise
    except Exception as exc:
        raise _translate(exc, repo_id, revision, None) from exc
    return Path(folder)


def resolve_file(
    path_or_repo_id: str | os.PathLike,
    filename: str,
    *,
    revision: str | None = None,
    required: bool = True,
    local_files_only: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
) -> Path | None:
    """Path of one file of a local folder or Hub repository; None if optional and absent."""
    local = _local_folder(path_or_repo_id)
    if local is not None:
        candidate = local / filename
        if candidate.is_file():
            return candidate
        if required:
            raise EntryNotFoundError(f"The folder {str(local)!r} has no file {filename!r}.")
        return None
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub import errors as hf_errors

    repo_id = str(path_or_repo_id)
    offline = bool(local_files_only) or is_offline()
    if offline:
        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
        if isinstance(cached, str):
            return Path(cached)
        if not required and cached is not None:  # the cache records the file as absent
            return None
    try:
        return Path(
            hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                local_files_only=offline,
                cache_dir=cache_dir,
                token=token,
            )
        )
    except (hf_errors.EntryNotFoundError, hf_errors.LocalEntryNotFoundError) as exc:
        if not required:
            return None
        raise _translate(exc, repo_id, revision, filename) from exc
    except Exception as exc:
        raise _translate(exc, repo_id, revision, filename) from exc


def push_to_hub(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    token: str | bool | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload with tfx",
) -> str:
    """Upload a saved model folder to a Hub repository (created if needed); returns its URL."""
    if is_offline():
        raise OfflineModeError("Cannot push to the Hub: HF_HUB_OFFLINE is set.")
    folder = Path(folder)
    if not folder.is_dir():
        raise HubError(f"Nothing to upload: {str(folder)!r} is not a folder.")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            revision=revision,
            commit_message=commit_message,
        )
    except Exception as exc:
        raise _translate(exc, repo_id, revision, None) from exc
    return str(getattr(info, "commit_url", info))
