"""Kill -9 during saves (fast slice; `make fuzz` runs many more): the target is always the
previous or the new complete state, and the next save leaves no temporary files behind."""

from __future__ import annotations

import sys

import pytest
from tfx_fuzz.kills import run_kills

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork and SIGKILL trials")


def test_model_save_survives_kills():
    results = run_kills("model", range(12))
    broken = [r for r in results if r.state == "broken"]
    assert not broken, broken
    assert {r.state for r in results} <= {"old", "new"}


def test_tokenizer_save_survives_kills():
    results = run_kills("tokenizer", range(8))
    broken = [r for r in results if r.state == "broken"]
    assert not broken, broken


def _dead_pid():
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_saves_are_removed_and_backups_restored(tmp_path):
    from tfx_core.weights import atomic_directory

    dead = _dead_pid()
    stale = tmp_path / f".tfx-other.tmp-{dead}-0123abcd"
    nested = tmp_path / f".tfx-.tfx-ckpt.tmp-{dead}-0123abcd.tmp-{dead}-89abcdef"
    backup = tmp_path / f".tfx-lost.old-{dead}-0123abcd"
    live = tmp_path / f".tfx-other.tmp-{__import__('os').getpid()}-0123abcd"
    for folder in (stale, nested, backup, live):
        folder.mkdir()
    (backup / "config.json").write_text("{}")
    with atomic_directory(tmp_path / "ckpt") as tmp:
        (tmp / "config.json").write_text("{}")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["ckpt", "lost", live.name])  # the live save's folder is kept
    assert (tmp_path / "lost" / "config.json").is_file()


def test_os_error_while_saving_is_typed_and_leaves_nothing(tmp_path):
    from tfx_core.errors import WeightsError
    from tfx_core.weights import atomic_directory

    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "config.json").write_text("old")
    with pytest.raises(WeightsError, match="No space left"), atomic_directory(target) as tmp:
        (tmp / "config.json").write_text("new")
        raise OSError(28, "No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    assert (target / "config.json").read_text() == "old"


def test_concurrent_saves_to_one_target_both_succeed(tmp_path):
    import threading

    from tfx_core.weights import atomic_directory

    target = tmp_path / "ckpt"
    errors = []

    def save(value):
        try:
            for _ in range(20):
                with atomic_directory(target, fsync=False) as tmp:
                    (tmp / "config.json").write_text(value)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(v,)) for v in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert (target / "config.json").read_text() in ("a", "b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
