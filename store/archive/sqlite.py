"""SQLite in a backup: a snapshot through the online backup API, and its restore as a new file.

The snapshot is copied in one step (`Connection.backup` with all pages at once), so it is one
read transaction: consistent while `loket run` writes (WAL lets writers go on meanwhile).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from store.archive.errors import ArchiveError

BUSY_TIMEOUT_SECONDS = 30.0


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; ArchiveError for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ArchiveError("ops.sqlite_not_a_file", url=url)
    return Path(database)


def snapshot(source: Path, dest: Path) -> None:
    """Copy the database at `source` into the new file `dest`, consistently, as one file."""
    if not source.is_file():
        raise ArchiveError("ops.backup.database_missing", path=str(source))
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)  # pages=-1: every page in one step, one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            dst.close()
    finally:
        src.close()


def tables(path: Path) -> list[str]:
    """Names of the tables in the SQLite file at `path` (SQLite's own excluded)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return sorted(r[0] for r in rows)
    finally:
        conn.close()


def inspect(path: Path) -> tuple[list[str], dict[str, int]]:
    """(schema revisions, row count per table) of the SQLite file at `path`."""
    names = tables(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        revisions: list[str] = []
        if "alembic_version" in names:
            revisions = sorted(
                r[0] for r in conn.execute("SELECT version_num FROM alembic_version")
            )
        counts = {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in names
            if name != "alembic_version"
        }
        return revisions, counts
    finally:
        conn.close()


def check_readable(path: Path) -> None:
    """ArchiveError unless the SQLite file at `path` passes SQLite's quick check."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        result = "not a database"
    if result != "ok":
        raise ArchiveError("ops.restore.corrupt", problem="database")


def existing_tables(target: Path) -> int:
    """How many tables the SQLite file at `target` has (0 when it does not exist)."""
    if not target.exists():
        return 0
    try:
        return len(tables(target))
    except sqlite3.DatabaseError:
        # A file that is not a SQLite database is not empty either: never overwrite it.
        return 1


def put_in_place(prepared: Path, target: Path) -> None:
    """Make the restored file `prepared` the database at `target` (one atomic rename).

    A leftover -wal/-shm of an empty file at `target` is removed first: SQLite would otherwise
    apply that journal to the new file.
    """
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{target}{suffix}")
    with prepared.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(prepared, target)
