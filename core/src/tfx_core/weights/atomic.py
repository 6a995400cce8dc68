"""All-or-nothing folder saves: an error or crash mid-save leaves the previous checkpoint intact.

The new files go into a hidden temp folder next to the target (same filesystem, so renames are
atomic); on success the old folder is moved aside, the temp folder renamed into its place, and
the old one deleted. POSIX has no atomic swap of two non-empty folders, so a crash in the
instant between those two renames leaves the previous checkpoint under `.tfx-<name>.old-*`.
Concurrent saves to one target are not coordinated: the last to finish wins.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from tfx_core.errors import WeightsError
from tfx_core.weights.files import is_weight_file


def _sibling(target: Path, kind: str) -> Path:
    """A fresh, hidden folder name next to `target` (created with the process umask)."""
    for _ in range(100):
        path = target.with_name(f".tfx-{target.name}.{kind}-{secrets.token_hex(4)}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise WeightsError(f"Could not create a temporary folder next to {target}.")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # same filesystem: no data is copied
    except OSError:
        shutil.copy2(src, dst)


def _carry_over(old: Path, new: Path) -> None:
    """Bring files the new save did not write from `old` into `new`, except old weights."""
    for item in old.iterdir():
        destination = new / item.name
        if destination.exists() or destination.is_symlink() or is_weight_file(item.name):
            continue
        if item.is_symlink():
            destination.symlink_to(os.readlink(item))
        elif item.is_dir():
            shutil.copytree(item, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(item), str(destination))


def _fsync_tree(root: Path) -> None:
    """Flush the new files to disk before they replace the old ones (a crash then cannot
    leave empty files behind a completed rename)."""
    if os.name != "posix":
        return
    for folder, _, files in os.walk(root):
        for name in [*files, "."]:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike, *, fsync: bool = True) -> Iterator[Path]:
    """Yield an empty temp folder next to `target`; on success it becomes `target` in one rename.

    Files already in `target` that the new save does not write (a tokenizer saved there
    earlier, a README) are carried over by hard link, except weight files of any framework
    (`model*.safetensors`, `pytorch_model*.bin`, their indexes, ...), so a save with fewer
    shards leaves no stale shard. On error the temp folder is removed and `target` is untouched.
    """
    target = Path(target).expanduser()
    if target.is_symlink():
        target = target.resolve()  # replace the folder the link points to, keep the link
    if target.exists() and not target.is_dir():
        raise WeightsError(f"Cannot save into {target}: it is a file, not a folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "tmp")
    try:
        yield tmp
        if target.exists():
            _carry_over(target, tmp)
        if fsync:
            _fsync_tree(tmp)
        if not target.exists():
            os.replace(tmp, target)
        else:
            backup = _sibling(target, "old")
            backup.rmdir()
            os.replace(target, backup)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(backup, target)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        if fsync and os.name == "posix":
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
