"""Writing files so that a power cut leaves either the old file or the new one, never half.

The protocol: write a temporary file in the same folder, flush and fsync it, ``os.replace``
it over the target (atomic on POSIX and on Windows for same-volume paths), then fsync the
folder so the rename itself is on disk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["TMP_PREFIX", "fsync_dir", "remove_leftovers", "write_atomic"]

#: Temporary files start with this; anything still carrying it after a crash is garbage.
TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable; a no-op where unsupported."""
    if os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename itself
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (tmp, fsync, rename, fsync dir)."""
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(folder)


def remove_leftovers(folder: Path) -> int:
    """Delete temporary files a crash left behind in ``folder``; returns how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    return removed
