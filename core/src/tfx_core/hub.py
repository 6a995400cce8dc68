"""Resolve a local folder or a Hub id (`org/name` at a revision) to files on disk.

Downloads go through `huggingface_hub`, so its cache layout, tokens and settings behave as they
do for the reference library, and a cache filled by either serves both. Offline
(`HF_HUB_OFFLINE=1` or `local_files_only=True`) only the local cache is read: no network call.
Failures become `tfx_core.errors` types that say whether the id, the revision or a file is
missing, and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tfx_core.errors import (
    EntryNotFoundError,
    HubError,
    OfflineModeError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

_TRUE = {"1", "ON", "YES", "TRUE"}


def is_offline() -> bool:
    """Whether Hub network access is disabled, read from the environment at call time.

    Same rule as huggingface_hub (`HF_HUB_OFFLINE`, else `TRANSFORMERS_OFFLINE`), which reads
    it only once at import; when neither is set, its import-time value decides.
    """
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
    if value is not None:
        return value.strip().upper() in _TRUE
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _cache_dir(cache_dir: str | os.PathLike | None) -> str | None:
    """The Hub cache folder, from the environment at call time (huggingface_hub reads it at
    import); None lets huggingface_hub use its default."""
    if cache_dir is None:
        cache_dir = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
        if cache_dir is None and os.environ.get("HF_HOME"):
            cache_dir = os.path.join(os.environ["HF_HOME"], "hub")
    if cache_dir is None:
        return None
    return os.path.expandvars(os.path.expanduser(os.fspath(cache_dir)))


def _is_repo_id(text: str) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True


def check_path_or_id(path_or_repo_id: object) -> None:
    """A folder path or Hub id is a `str` or an `os.PathLike`; anything else is a caller's slip."""
    text = os.fspath(path_or_repo_id) if isinstance(path_or_repo_id, (str, os.PathLike)) else None
    if isinstance(text, str) and text.strip() and "\x00" not in text:
        return
    raise HubError(
        f"Expected a local folder or a Hub id such as 'org/name' (a str or pathlib.Path), got "
        f"{path_or_repo_id!r}."
    )


def _local_folder(path_or_repo_id: str | os.PathLike) -> Path | None:
    """The local folder meant by the argument, or None when it names a Hub repository."""
    check_path_or_id(path_or_repo_id)
    path = Path(path_or_repo_id).expanduser()
    if path.is_dir():
        return path
    text = os.fspath(path_or_repo_id)
    if path.exists():
        raise HubError(f"{text!r} is a file; pass the folder that holds the model's files.")
    looks_like_path = (
        not isinstance(path_or_repo_id, str)
        or text.startswith(("/", "./", "../", "~", "\\"))
        or (os.sep != "/" and os.sep in text)
    )
    if looks_like_path or not _is_repo_id(text):
        raise HubError(
            f"The folder {text!r} does not exist, and {text!r} is not a valid Hub repository id "
            "either. Pass an existing folder or an id like 'sentence-transformers/all-MiniLM-L6-v2'."
        )
    return None


def _offline_reason(local_files_only: bool | None) -> str:
    if local_files_only:
        return "local_files_only=True was passed"
    return "HF_HUB_OFFLINE is set"


def _cache_state(repo_id: str, revision: str, cache_dir: str | None) -> str:
    """Which part of `repo_id`@`revision` the local cache lacks, in words."""
    from huggingface_hub import constants

    root = Path(cache_dir or constants.HF_HUB_CACHE)
    repo = root / ("models--" + repo_id.replace("/", "--"))
    if not repo.is_dir():
        return f"{repo_id!r} is not in the local Hub cache ({root})"
    refs = repo / "refs"
    known = sorted(p.name for p in refs.iterdir()) if refs.is_dir() else []
    if not (refs / revision).is_file() and not (repo / "snapshots" / revision).is_dir():
        cached = ", ".join(known) or "none by name"
        return (
            f"revision {revision!r} of {repo_id!r} is not in the local Hub cache (cached: {cached})"
        )
    return f"{repo_id!r} at revision {revision!r} is only partly in the local Hub cache"


def _translate(
    exc: BaseException,
    repo_id: str,
    revision: str | None,
    filename: str | None,
    *,
    offline: bool,
    local_files_only: bool | None,
    cache_dir: str | None,
) -> BaseException:
    """The tfx error for a huggingface_hub failure; unknown exceptions are returned as is."""
    from huggingface_hub import errors as hf

    rev = revision or "main"
    what = f"file {filename!r}" if filename else "the files"
    if isinstance(exc, hf.GatedRepoError):
        return RepositoryNotFoundError(
            f"Repository {repo_id!r} is gated: accept its terms on https://huggingface.co/{repo_id}, "
            "then log in (`huggingface-cli login`) or pass token=."
        )
    if isinstance(exc, hf.RepositoryNotFoundError):
        return RepositoryNotFoundError(
            f"Repository {repo_id!r} was not found on the Hub. Check the id (and that no local "
            f"folder of that name was meant); if it is private, log in or pass token=."
        )
    if isinstance(exc, hf.RevisionNotFoundError):
        return RevisionNotFoundError(
            f"Repository {repo_id!r} exists but has no revision {rev!r} (branch, tag or commit)."
        )
    if isinstance(exc, (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled)):
        if offline:
            state = _cache_state(repo_id, rev, cache_dir)
            if filename and state.endswith("partly in the local Hub cache"):
                state = f"file {filename!r} of {repo_id!r} at revision {rev!r} is not in the local Hub cache"
            return OfflineModeError(
                f"{state[0].upper()}{state[1:]}, and network access is disabled "
                f"({_offline_reason(local_files_only)}). Download it once with network access, "
                "or pass a local folder."
            )
        return OfflineModeError(
            f"Could not reach the Hub to fetch {what} of {repo_id!r} at revision {rev!r}, and "
            "they are not in the local cache. Check your connection, or pass a local folder."
        )
    if isinstance(exc, hf.EntryNotFoundError):
        return EntryNotFoundError(
            f"Repository {repo_id!r} at revision {rev!r} has no file {filename!r}."
        )
    if isinstance(exc, hf.HFValidationError):
        return HubError(f"Invalid Hub request for {repo_id!r} at revision {rev!r}: {exc}")
    if isinstance(exc, OSError):  # connection and HTTP errors (requests' derive from OSError)
        return HubError(f"Could not fetch {what} of {repo_id!r} at revision {rev!r}: {exc}")
    return exc


def resolve_snapshot(
    path_or_repo_id: str | os.PathLike,
    *,
    revision: str | None = None,
    allow_patterns: Sequence[str] | None = None,
    local_files_only: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
) -> Path:
    """A folder holding the model's files: a local folder as is, or a Hub cache snapshot with
    (at least) the files matching `allow_patterns` downloaded."""
    local = _local_folder(path_or_repo_id)
    if local is not None:
        return local
    from huggingface_hub import snapshot_download

    repo_id = os.fspath(path_or_repo_id)
    offline = bool(local_files_only) or is_offline()
    cache = _cache_dir(cache_dir)
    try:
        folder = snapshot_download(
            repo_id,
            revision=revision,
            allow_patterns=list(allow_patterns) if allow_patterns is not None else None,
            local_files_only=offline,
            cache_dir=cache,
            token=token,
        )
    except Exception as exc:
        error = _translate(
            exc,
            repo_id,
            revision,
            None,
            offline=offline,
            local_files_only=local_files_only,
            cache_dir=cache,
        )
        if error is exc:
            raise
        raise error from exc
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
    """The path of one file of a local folder or Hub repository; None when `required=False`
    and the file does not exist (or, offline, is not cached)."""
    local = _local_folder(path_or_repo_id)
    if local is not None:
        candidate = local / filename
        if candidate.is_file():
            return candidate
        if required:
            raise EntryNotFoundError(f"The folder {str(local)!r} has no file {filename!r}.")
        return None
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    repo_id = os.fspath(path_or_repo_id)
    offline = bool(local_files_only) or is_offline()
    cache = _cache_dir(cache_dir)
    if offline:
        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache, revision=revision)
        if isinstance(cached, str):
            return Path(cached)
        if cached is not None:  # the cache records that the file does not exist
            if not required:
                return None
            raise EntryNotFoundError(
                f"Repository {repo_id!r} at revision {revision or 'main'!r} has no file "
                f"{filename!r} (as recorded in the local Hub cache)."
            )
    try:
        return Path(
            hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                local_files_only=offline,
                cache_dir=cache,
                token=token,
            )
        )
    except Exception as exc:
        from huggingface_hub import errors as hf

        if not required and isinstance(exc, hf.EntryNotFoundError):  # incl. not cached
            return None
        error = _translate(
            exc,
            repo_id,
            revision,
            filename,
            offline=offline,
            local_files_only=local_files_only,
            cache_dir=cache,
        )
        if error is exc:
            raise
        raise error from exc


def push_to_hub(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    token: str | bool | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload with tfx",
) -> str:
    """Upload a saved model folder to a Hub repository (created if needed); return the
    commit URL. Leftover `.tfx-*` temp folders of interrupted saves are not uploaded."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HubError(f"Nothing to upload: {str(folder)!r} is not a folder.")
    if not _is_repo_id(repo_id):
        raise HubError(f"{repo_id!r} is not a valid Hub repository id (expected 'org/name').")
    if is_offline():
        raise OfflineModeError(
            f"Cannot push {str(folder)!r} to {repo_id!r}: HF_HUB_OFFLINE is set. Unset it to upload."
        )
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            revision=revision,
            commit_message=commit_message,
            ignore_patterns=[".tfx-*", ".tfx-*/**"],
        )
    except Exception as exc:
        error = _translate(
            exc, repo_id, revision, None, offline=False, local_files_only=False, cache_dir=None
        )
        if error is exc:
            raise
        raise error from exc
    return str(getattr(info, "commit_url", info))
