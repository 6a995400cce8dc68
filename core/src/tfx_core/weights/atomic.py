"""Atomic folder saves: a crash or error mid-save leaves the previous checkpoint intact."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tfx_core.errors import WeightsError
from tfx_core.weights.files import WEIGHT_FILE


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp folder next to `target`; on success it replaces `target` in one rename.

    Files already in `target` that the new save does not write (a tokenizer saved there
    earlier, a README) are carried over, except old weight files, so a save with fewer shards
    leaves no stale shard behind. On error the temp folder is removed and `target` untouched.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise WeightsError(f"Cannot save into {target}: it is a file, not a folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tfx-{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            for item in target.iterdir():
                if (tmp / item.name).exists() or WEIGHT_FILE.match(item.name):
                    continue
                if item.is_dir():
                    shutil.copytree(item, tmp / item.name)
                else:
                    try:
                        os.link(item, tmp / item.name)
                    except OSError:
                        shutil.copy2(item, tmp / item.name)
            backup = Path(tempfile.mkdtemp(prefix=f".tfx-{target.name}.old-", dir=target.parent))
            backup.rmdir()
            os.replace(target, backup)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(backup, target)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, target)
        tmp.chmod(0o755) if tmp.exists() else target.chmod(0o755)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
