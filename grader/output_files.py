"""Files the commands write: checked before any grading starts, replaced atomically.

Checking first matters because grading is the slow part: an `--out` in a missing folder or a
`--plot` on a read-only path must fail in the first second with one line, not after minutes of
grading whose results then have nowhere to go.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.errors import InputError


def check_writable(path: Path, option: str) -> None:
    """Raise `InputError` unless `path` can be created or appended to. Missing parent folders
    are created, as `mkdir -p` would."""
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory; give a file name")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot create folder {parent} ({exc.strerror})") from exc
    existed = path.exists()
    try:  # trying is the only honest test: permissions, read-only mounts and /proc all differ
        with path.open("ab"):
            pass
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write ({exc.strerror})") from exc
    if not existed:
        path.unlink()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader never sees a half-written file, even if the
    process dies mid-write."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
