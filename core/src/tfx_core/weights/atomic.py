"""All-or-nothing folder saves: an error or crash mid-save leaves the previous checkpoint intact.

The new files go into a hidden temp folder next to the target (same filesystem, so renames are
atomic); on success the two folders are swapped in one step (Linux `renameat2(RENAME_EXCHANGE)`)
and the old one deleted. Where the kernel or filesystem cannot swap, the old folder is moved
aside and the new one renamed into place, so a crash in that instant leaves the previous
checkpoint under `.tfx-<name>.old-<pid>-*`; the next save to the target puts it back.

Temp folders carry the saving process's id: a save removes the leftovers that saves into the same
parent folder left when their process died (killed mid-save), so interrupted saves do not pile
up. Concurrent saves to one target are not coordinated: the last to finish wins, and neither
fails.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from tfx_core.errors import WeightsError
from tfx_core.weights.files import is_weight_file


def _sibling(target: Path, kind: str) -> Path:
    """A fresh, hidden folder next to `target` (created with the process umask), named with
    this process's id so a later save can tell a dead save's leftovers from a live one."""
    for _ in range(100):
        path = target.with_name(f".tfx-{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")
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


def _carry_over(old: Path, new: Path, *, keep_weights: bool = False) -> None:
    """Bring files the new save did not write from `old` into `new`, except old weights."""
    for item in old.iterdir():
        destination = new / item.name
        if destination.exists() or destination.is_symlink():
            continue
        if is_weight_file(item.name) and not keep_weights:
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


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


_LEFTOVER = re.compile(r"^\.tfx-(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _clean_leftovers(target: Path) -> None:
    """Remove the temp folders that dead saves left next to `target` (any target in that
    folder, nested saves included); restore an `.old` backup whose target was lost between the
    two renames of a non-atomic swap."""
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    backups = []
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match is None or _pid_alive(int(match.group("pid"))):
            continue
        if match.group("kind") == "old":
            backups.append((entry, entry.with_name(match.group("name"))))
        else:
            shutil.rmtree(entry, ignore_errors=True)
    for backup, original in backups:
        if not original.exists():
            with contextlib.suppress(OSError):
                os.replace(backup, original)
                continue
        shutil.rmtree(backup, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where it is not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the finished `tmp` in place of `target`, then delete the previous contents."""
    if not target.exists():
        try:
            os.rename(tmp, target)
            return
        except OSError as exc:  # a concurrent save created the target meanwhile
            if not target.is_dir() or exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous contents
        return
    backup = _sibling(target, "old")
    backup.rmdir()
    os.replace(target, backup)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(
    target: str | os.PathLike, *, fsync: bool = True, keep_weights: bool = False
) -> Iterator[Path]:
    """Yield an empty temp folder next to `target`; on success it becomes `target` in one rename.

    Files already in `target` that the new save does not write (a tokenizer saved there
    earlier, a README) are carried over by hard link, except weight files of any framework
    (`model*.safetensors`, `pytorch_model*.bin`, their indexes, ...), so a save with fewer
    shards leaves no stale shard; `keep_weights=True` carries those too (a save that writes no
    weights, such as a tokenizer's). On error the temp folder is removed and `target` is
    untouched; an `OSError` (full disk, permissions) is raised as `WeightsError` saying so.
    """
    target = Path(target).expanduser()
    if target.is_symlink():
        target = target.resolve()  # replace the folder the link points to, keep the link
    if target.exists() and not target.is_dir():
        raise WeightsError(f"Cannot save into {target}: it is a file, not a folder.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_leftovers(target)
        tmp = _sibling(target, "tmp")
    except OSError as exc:
        raise _save_error(target, exc) from exc
    try:
        yield tmp
        if target.exists():
            _carry_over(target, tmp, keep_weights=keep_weights)
        if fsync:
            _fsync_tree(tmp)
        _swap_in(tmp, target)
        if fsync and os.name == "posix":
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except WeightsError:
        raise
    except OSError as exc:
        raise _save_error(target, exc) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _save_error(target: Path, exc: OSError) -> WeightsError:
    return WeightsError(
        f"Could not save into {target}: {exc.strerror or exc} ({type(exc).__name__}). Nothing "
        "was changed there; free disk space or fix the folder's permissions, then save again."
    )
