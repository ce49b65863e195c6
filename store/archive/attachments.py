"""The attachment store in a backup: every stored file out, and back in without overwriting.

Files are content-addressed (store/blobs.py) and written before the row that names them is
committed, so a copy taken after the database snapshot holds every file the snapshot names.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from store.archive.format import ATTACHMENTS_DIR, ArchiveWriter


def stored_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(member name, path) of every finished file under `root` (temporary files skipped)."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".tmp-"):
            yield f"{ATTACHMENTS_DIR}/{path.relative_to(root).as_posix()}", path


def add_attachments(writer: ArchiveWriter, root: Path) -> int:
    """Add every stored file under `root` to the archive; return how many."""
    count = 0
    for member, path in stored_files(root):
        writer.add_file(member, path)
        count += 1
    return count


def place_attachments(staging: Path, root: Path, members: list[str]) -> list[Path]:
    """Move the verified files of `members` from `staging` into the store at `root`.

    A file already there is kept (same name, same content). Returns the files this call
    created, so that a restore that fails later can take them back out.
    """
    created: list[Path] = []
    try:
        for member in members:
            relative = Path(*member.split("/")[1:])
            target = root / relative
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            _move_atomically(staging / ATTACHMENTS_DIR / relative, target)
            created.append(target)
    except BaseException:
        remove_files(created)
        raise
    return created


def remove_files(paths: list[Path]) -> None:
    """Delete `paths` (those that exist)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _move_atomically(source: Path, target: Path) -> None:
    """Rename `source` to `target`; across file systems copy to a temporary name first."""
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
