"""Hub resolution against a real huggingface_hub cache layout, offline, with no network."""

import json

import pytest

from tfx_core import hub
from tfx_core.errors import EntryNotFoundError, HubError, OfflineModeError

COMMIT = "a" * 40
OTHER_COMMIT = "b" * 40


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """models--acme--tiny with a `main` ref and a `v1` tag, as huggingface_hub lays it out."""
    cache = tmp_path / "hub"
    repo = cache / "models--acme--tiny"
    for commit, files in (
        (COMMIT, {"config.json": {"model_type": "tfx-toy"}, "tokenizer.json": {"x": 1}}),
        (OTHER_COMMIT, {"config.json": {"model_type": "tfx-toy", "hidden_size": 4}}),
    ):
        snapshot = repo / "snapshots" / commit
        snapshot.mkdir(parents=True)
        for name, content in files.items():
            blob = repo / "blobs" / f"{commit[:8]}-{name}"
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_text(json.dumps(content))
            (snapshot / name).symlink_to(blob)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    (repo / "refs" / "v1").write_text(OTHER_COMMIT)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


@pytest.fixture
def no_network(monkeypatch):
    """Any HTTP request made by huggingface_hub fails the test."""
    import huggingface_hub.utils._http as http

    def refuse(*args, **kwargs):
        raise AssertionError("a network call was made while offline")

    monkeypatch.setattr(http, "get_session", refuse)
    return refuse


def test_local_folder_is_returned_as_is(tmp_path):
    assert hub.resolve_snapshot(tmp_path) == tmp_path
    (tmp_path / "config.json").write_text("{}")
    assert hub.resolve_file(tmp_path, "config.json") == tmp_path / "config.json"
    assert hub.resolve_file(tmp_path, "nope.json", required=False) is None
    with pytest.raises(EntryNotFoundError, match="no file 'nope.json'"):
        hub.resolve_file(tmp_path, "nope.json")


def test_missing_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(HubError, match="does not exist"):
        hub.resolve_snapshot(tmp_path / "missing")
    with pytest.raises(HubError, match="not a Hub repository id"):
        hub.resolve_snapshot("not a valid id!")


def test_offline_resolution_from_the_cache(hub_cache, no_network):
    path = hub.resolve_file("acme/tiny", "config.json")
    assert json.loads(path.read_text()) == {"model_type": "tfx-toy"}
    tagged = hub.resolve_file("acme/tiny", "config.json", revision="v1")
    assert json.loads(tagged.read_text())["hidden_size"] == 4
    by_commit = hub.resolve_file("acme/tiny", "config.json", revision=OTHER_COMMIT)
    assert by_commit == tagged
    folder = hub.resolve_snapshot("acme/tiny")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "tokenizer.json"]


def test_local_files_only_without_offline_env(hub_cache, no_network, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    assert hub.resolve_file("acme/tiny", "config.json", local_files_only=True).is_file()


def test_offline_errors_say_what_is_missing(hub_cache, no_network):
    with pytest.raises(OfflineModeError, match="'tokenizer.json' of 'acme/tiny' at revision 'v1'"):
        hub.resolve_file("acme/tiny", "tokenizer.json", revision="v1")
    assert hub.resolve_file("acme/tiny", "tokenizer.json", revision="v1", required=False) is None
    with pytest.raises(OfflineModeError, match="'acme/other'"):
        hub.resolve_file("acme/other", "config.json")
    with pytest.raises(OfflineModeError, match="HF_HUB_OFFLINE"):
        hub.resolve_snapshot("acme/other")


def test_push_refused_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeError):
        hub.push_to_hub(tmp_path, "acme/tiny")
