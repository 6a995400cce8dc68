"""Hub resolution against a real huggingface_hub cache layout, with every network path blocked."""

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest
import requests

from tfx_core import hub
from tfx_core.errors import (
    EntryNotFoundError,
    HubError,
    OfflineModeError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

MAIN = "a" * 40
DEV = "b" * 40


class NetworkCall(AssertionError):
    """Raised by the guards below: any attempt to reach the network fails the test."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Block requests at the session and socket level for every test in this module."""

    def refuse(*args, **kwargs):
        raise NetworkCall(f"network call attempted: {args[1:3]}")

    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def online(monkeypatch):
    """Network allowed as far as tfx can tell (the guards above still block real calls)."""
    import huggingface_hub.constants as constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def _add_snapshot(repo: Path, commit: str, files: dict[str, bytes]) -> None:
    """Lay files out as huggingface_hub does: content in blobs/, relative links in snapshots/."""
    for name, content in files.items():
        blob = repo / "blobs" / hashlib.sha256(content).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(content)
        link = repo / "snapshots" / commit / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))


@pytest.fixture
def cache(tmp_path, monkeypatch, online):
    """`acme/tiny` cached at `main` and `dev`, with generation_config.json recorded as absent;
    offline through HF_HUB_OFFLINE and located through HF_HUB_CACHE, both set after import."""
    root = tmp_path / "hub"
    repo = root / "models--acme--tiny"
    _add_snapshot(
        repo,
        MAIN,
        {
            "config.json": b'{"model_type": "bert"}',
            "model.safetensors": b"weights",
            "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
        },
    )
    _add_snapshot(repo, DEV, {"config.json": b'{"model_type": "bert", "dev": true}'})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(MAIN)
    (repo / "refs" / "dev").write_text(DEV)
    (repo / ".no_exist" / MAIN).mkdir(parents=True)
    (repo / ".no_exist" / MAIN / "generation_config.json").touch()
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return root


def _json(path):
    return json.loads(Path(path).read_text())


def test_guard_blocks_network():
    with pytest.raises(NetworkCall):
        requests.get("https://huggingface.co")


def test_is_offline_reads_the_environment_at_call_time(monkeypatch, online):
    assert not hub.is_offline()
    for value, expected in (
        ("1", True),
        ("true", True),
        ("YES", True),
        ("0", False),
        ("no", False),
    ):
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        assert hub.is_offline() is expected
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert hub.is_offline()


def test_local_folder_is_returned_as_is(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert hub.resolve_snapshot(tmp_path) == tmp_path
    assert hub.resolve_snapshot(str(tmp_path)) == tmp_path
    assert hub.resolve_file(tmp_path, "config.json") == tmp_path / "config.json"
    assert hub.resolve_file(tmp_path, "missing.json", required=False) is None
    with pytest.raises(EntryNotFoundError, match=r"missing.json"):
        hub.resolve_file(tmp_path, "missing.json")


def test_paths_that_are_neither_folders_nor_repo_ids(tmp_path):
    with pytest.raises(HubError, match="does not exist"):
        hub.resolve_snapshot(tmp_path / "nope")  # a Path always means a local folder
    with pytest.raises(HubError, match="not a valid Hub repository id"):
        hub.resolve_snapshot("./models/nope")
    with pytest.raises(HubError, match="not a valid Hub repository id"):
        hub.resolve_file("a/b/c", "config.json")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(HubError, match="is a file"):
        hub.resolve_snapshot(tmp_path / "config.json")


def test_offline_by_env_resolves_from_the_cache(cache):
    snapshot = hub.resolve_snapshot("acme/tiny", allow_patterns=["*.json"])
    assert snapshot == cache / "models--acme--tiny" / "snapshots" / MAIN
    assert _json(snapshot / "config.json") == {"model_type": "bert"}
    pooling = hub.resolve_file("acme/tiny", "1_Pooling/config.json")
    assert _json(pooling) == {"pooling_mode_mean_tokens": True}


@pytest.mark.parametrize("revision", ["dev", DEV])
def test_offline_by_revision(cache, revision):
    snapshot = hub.resolve_snapshot("acme/tiny", revision=revision)
    assert snapshot.name == DEV
    assert _json(hub.resolve_file("acme/tiny", "config.json", revision=revision))["dev"] is True


def test_local_files_only_without_env(cache, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_HUB_CACHE")
    path = hub.resolve_file("acme/tiny", "config.json", local_files_only=True, cache_dir=cache)
    assert _json(path) == {"model_type": "bert"}
    snapshot = hub.resolve_snapshot("acme/tiny", local_files_only=True, cache_dir=cache)
    assert snapshot.name == MAIN
    with pytest.raises(OfflineModeError, match=r"local_files_only=True"):
        hub.resolve_file("acme/tiny", "vocab.txt", local_files_only=True, cache_dir=cache)


def test_file_not_in_cache_while_offline(cache):
    with pytest.raises(OfflineModeError) as excinfo:
        hub.resolve_file("acme/tiny", "tokenizer.json")
    message = str(excinfo.value)
    assert "tokenizer.json" in message and "acme/tiny" in message and "'main'" in message
    assert "HF_HUB_OFFLINE" in message
    assert hub.resolve_file("acme/tiny", "tokenizer.json", required=False) is None


def test_file_recorded_as_absent(cache):
    with pytest.raises(EntryNotFoundError, match=r"has no file 'generation_config.json'"):
        hub.resolve_file("acme/tiny", "generation_config.json")
    assert hub.resolve_file("acme/tiny", "generation_config.json", required=False) is None


def test_repo_not_in_cache_while_offline(cache):
    with pytest.raises(OfflineModeError, match=r"'acme/absent' is not in the local Hub cache"):
        hub.resolve_snapshot("acme/absent")
    with pytest.raises(OfflineModeError, match=r"'acme/absent' is not in the local Hub cache"):
        hub.resolve_file("acme/absent", "config.json")
    assert hub.resolve_file("acme/absent", "config.json", required=False) is None


def test_revision_not_in_cache_while_offline(cache):
    with pytest.raises(OfflineModeError, match=r"Revision 'v9' of 'acme/tiny'.*cached: dev, main"):
        hub.resolve_snapshot("acme/tiny", revision="v9")


def _http_error(cls, message):
    return cls(message, response=None)


@pytest.mark.parametrize(
    ("hf_error", "ours", "text"),
    [
        ("RepositoryNotFoundError", RepositoryNotFoundError, "was not found on the Hub"),
        ("GatedRepoError", RepositoryNotFoundError, "is gated"),
        ("RevisionNotFoundError", RevisionNotFoundError, "has no revision 'v2'"),
    ],
)
def test_hub_errors_are_translated(monkeypatch, online, tmp_path, hf_error, ours, text):
    import huggingface_hub
    from huggingface_hub import errors

    def fail(*args, **kwargs):
        raise _http_error(getattr(errors, hf_error), "404")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fail)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fail)
    with pytest.raises(ours, match=text):
        hub.resolve_snapshot("acme/tiny", revision="v2", cache_dir=tmp_path)
    with pytest.raises(ours, match=text):
        hub.resolve_file("acme/tiny", "config.json", revision="v2", cache_dir=tmp_path)


def test_missing_file_online(monkeypatch, online, tmp_path):
    import huggingface_hub
    from huggingface_hub import errors

    def fail(*args, **kwargs):
        raise _http_error(errors.EntryNotFoundError, "404")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fail)
    with pytest.raises(
        EntryNotFoundError, match=r"'acme/tiny' at revision 'main' has no file 'x.json'"
    ):
        hub.resolve_file("acme/tiny", "x.json", cache_dir=tmp_path)
    assert hub.resolve_file("acme/tiny", "x.json", required=False, cache_dir=tmp_path) is None


def test_unreachable_hub_gives_a_clear_error(monkeypatch, online, tmp_path):
    def down(*args, **kwargs):
        raise requests.ConnectionError("network is unreachable")

    monkeypatch.setattr(requests.Session, "request", down)
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)  # retries
    with pytest.raises(OfflineModeError, match="Could not reach the Hub"):
        hub.resolve_snapshot("acme/tiny", cache_dir=tmp_path)
    with pytest.raises(OfflineModeError, match=r"Could not reach the Hub to fetch file 'c.json'"):
        hub.resolve_file("acme/tiny", "c.json", cache_dir=tmp_path)


class _FakeApi:
    calls: list = []

    def __init__(self, token=None):
        self.calls.append(("init", token))

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))

    def create_branch(self, repo_id, **kwargs):
        self.calls.append(("create_branch", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        return type("Info", (), {"commit_url": "https://hub/commit/1"})()


def test_push_to_hub_arguments(monkeypatch, online, tmp_path):
    import huggingface_hub

    _FakeApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", _FakeApi)
    url = hub.push_to_hub(tmp_path, "me/model", token="t", private=True, revision="exp")
    assert url == "https://hub/commit/1"
    names = [call[0] for call in _FakeApi.calls]
    assert names == ["init", "create_repo", "create_branch", "upload_folder"]
    assert _FakeApi.calls[1][2] == {"private": True, "exist_ok": True}
    upload = _FakeApi.calls[3][1]
    assert upload["folder_path"] == str(tmp_path) and upload["repo_id"] == "me/model"
    assert upload["revision"] == "exp" and ".tfx-*" in upload["ignore_patterns"]


def test_push_to_hub_refusals(monkeypatch, online, tmp_path):
    with pytest.raises(HubError, match="not a folder"):
        hub.push_to_hub(tmp_path / "absent", "me/model")
    with pytest.raises(HubError, match="not a valid Hub repository id"):
        hub.push_to_hub(tmp_path, "a/b/c")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeError, match="HF_HUB_OFFLINE"):
        hub.push_to_hub(tmp_path, "me/model")
