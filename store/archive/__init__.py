"""`loket backup` and `loket restore`: the whole store (database and attachments) in one file.

Restore goes only into an empty database, verifies every checksum before it touches anything,
refuses an archive of a newer schema, and migrates an older one up. It puts the attachments in
first and the database last (SQLite: one rename; PostgreSQL: one transaction), and takes back
the attachments it added when the database step fails: nothing is ever half restored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store.archive import postgres, sqlite
from store.archive.attachments import add_attachments, place_attachments, remove_files
from store.archive.errors import ArchiveError
from store.archive.format import DATABASE_DIR, ArchiveWriter, Manifest, extract_verified, utc_stamp
from store.db import Database
from store.migrate import alembic_config, upgrade

__all__ = ["ArchiveError", "Manifest", "RestoreResult", "backup", "restore"]

# The files of the attachment store the database names (by SHA-256).
_REFERENCED_SQL = "SELECT sha256 FROM attachments"


def loket_version() -> str:
    """The installed Loket's version."""
    try:
        return metadata.version("loket")
    except metadata.PackageNotFoundError:
        return "unknown"


def _dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


async def backup(
    database_url: str,
    attachment_dir: Path,
    out: Path,
    now: dt.datetime,
    *,
    pg_bin_dir: Path | None = None,
) -> Manifest:
    """Write the database and the attachment store to the new file `out`; return its manifest.

    Safe while `loket run` writes: the database is one consistent snapshot, the attachments
    are copied after it (so every file it names is there). `out` must not exist.
    """
    job = await asyncio.to_thread(_BackupJob, out)
    try:
        if _dialect(database_url) == "sqlite":
            await asyncio.to_thread(job.snapshot_sqlite, sqlite.sqlite_path(database_url))
        else:
            db = Database.from_url(database_url)
            try:
                snap = job.work / "loket.pgdump"
                revisions, counts, referenced = await postgres.dump(
                    db, database_url, snap, pg_bin_dir, _REFERENCED_SQL
                )
                job.took("postgresql", snap, revisions, counts, referenced)
            finally:
                await db.dispose()
        return await asyncio.to_thread(job.finish, attachment_dir, now)
    except BaseException:
        await asyncio.to_thread(job.abort)
        raise


class _BackupJob:
    """The blocking side of one backup: a work folder, the archive writer, the snapshot."""

    def __init__(self, out: Path) -> None:
        if out.exists():
            raise ArchiveError("ops.backup.exists", file=str(out))
        if not out.parent.is_dir():
            raise ArchiveError("ops.backup.folder_missing", folder=str(out.parent))
        self.work = Path(tempfile.mkdtemp(prefix=".loket-backup-", dir=out.parent))
        self.writer = ArchiveWriter(out)
        self.dialect, self.snap = "", Path()
        self.revisions: list[str] = []
        self.counts: dict[str, int] = {}
        self.referenced: set[str] = set()

    def snapshot_sqlite(self, source: Path) -> None:
        """Snapshot the SQLite database at `source` and read its revision, counts, files."""
        snap = self.work / "loket.sqlite"
        sqlite.snapshot(source, snap)
        revisions, counts = sqlite.inspect(snap)
        self.took("sqlite", snap, revisions, counts, _referenced_sqlite(snap))

    def took(
        self,
        dialect: str,
        snap: Path,
        revisions: list[str],
        counts: dict[str, int],
        referenced: set[str],
    ) -> None:
        """Record the snapshot taken and what the manifest says about it."""
        if not revisions:
            raise ArchiveError("ops.backup.not_initialised")
        self.dialect, self.snap, self.revisions = dialect, snap, revisions
        self.counts, self.referenced = counts, referenced

    def finish(self, attachment_dir: Path, now: dt.datetime) -> Manifest:
        """Add the snapshot, then the attachments, then the manifest; rename into place."""
        member = f"{DATABASE_DIR}/{self.snap.name}"
        self.writer.add_file(member, self.snap)
        add_attachments(self.writer, attachment_dir)
        have = {m.rsplit("/", 1)[-1] for m in self.writer.files if m != member}
        manifest = Manifest(
            dialect=self.dialect,
            database_member=member,
            schema_revisions=self.revisions,
            counts=self.counts,
            loket_version=loket_version(),
            created_at=utc_stamp(now),
            missing_attachments=sorted(self.referenced - have),
        )
        self.writer.commit(manifest)
        shutil.rmtree(self.work, ignore_errors=True)
        return manifest

    def abort(self) -> None:
        """Remove the partial archive and the work folder."""
        self.writer.abort()
        shutil.rmtree(self.work, ignore_errors=True)


def _referenced_sqlite(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute(_REFERENCED_SQL)}
    finally:
        conn.close()


@dataclass
class RestoreResult:
    """What a restore did: the archive's manifest and the schema revisions after migrating."""

    manifest: Manifest
    revisions_after: list[str]
    attachments_added: int

    @property
    def migrated(self) -> bool:
        """True when the archive's schema was older and was migrated up."""
        return sorted(self.revisions_after) != sorted(self.manifest.schema_revisions)


def _check_schema(manifest: Manifest) -> None:
    """ArchiveError when the archive's schema is one this Loket does not know (newer)."""
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [r for r in manifest.schema_revisions if r not in known]
    if unknown:
        raise ArchiveError(
            "ops.restore.schema_too_new",
            revision=", ".join(unknown),
            version=manifest.loket_version,
        )


async def restore(
    database_url: str,
    attachment_dir: Path,
    archive: Path,
    *,
    pg_bin_dir: Path | None = None,
) -> RestoreResult:
    """Restore `archive` into the empty database of `database_url` (a SQLite file is created;
    a missing PostgreSQL database too, when the server lets us) and the attachment store."""
    dialect = _dialect(database_url)
    staging = await asyncio.to_thread(_staging_for, archive, attachment_dir)
    try:
        manifest = await asyncio.to_thread(extract_verified, archive, staging)
        if manifest.dialect != dialect:
            raise ArchiveError(
                "ops.restore.other_dialect", archive=manifest.dialect, target=dialect
            )
        _check_schema(manifest)
        staged_db = staging.joinpath(*manifest.database_member.split("/"))
        if dialect == "sqlite":
            return await _restore_sqlite(database_url, attachment_dir, manifest, staged_db, staging)
        return await _restore_postgres(
            database_url, attachment_dir, manifest, staged_db, staging, pg_bin_dir
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, staging, ignore_errors=True)


def _staging_for(archive: Path, attachment_dir: Path) -> Path:
    """A new staging folder beside the attachment store (so files move by rename)."""
    if not archive.is_file():
        raise ArchiveError("ops.restore.no_file", file=str(archive))
    attachment_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".loket-restore-", dir=attachment_dir.parent))


def _prepare_sqlite(target: Path, manifest: Manifest, staged: Path) -> Path:
    """Check the target is empty and the snapshot sound; copy it beside the target."""
    if not target.parent.is_dir():
        raise ArchiveError("ops.restore.folder_missing", folder=str(target.parent))
    if tables := sqlite.existing_tables(target):
        raise ArchiveError("ops.restore.not_empty", target=str(target), tables=tables)
    sqlite.check_readable(staged)
    if sqlite.inspect(staged)[1] != manifest.counts:
        raise ArchiveError("ops.restore.corrupt", problem=manifest.database_member)
    prepared = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(staged, prepared)
    return prepared


def _install_sqlite(
    prepared: Path, target: Path, manifest: Manifest, staging: Path, attachment_dir: Path
) -> int:
    """Attachments in, then the database file in by one rename; return the files added."""
    created = place_attachments(staging, attachment_dir, manifest.attachment_members)
    try:
        if sqlite.existing_tables(target):  # initialised by someone else meanwhile
            raise ArchiveError("ops.restore.not_empty", target=str(target), tables=1)
        sqlite.put_in_place(prepared, target)
    except BaseException:
        remove_files(created)
        raise
    return len(created)


def _discard(prepared: Path) -> None:
    for path in (prepared, Path(f"{prepared}-wal"), Path(f"{prepared}-shm")):
        path.unlink(missing_ok=True)


async def _restore_sqlite(
    url: str, attachment_dir: Path, manifest: Manifest, staged: Path, staging: Path
) -> RestoreResult:
    target = sqlite.sqlite_path(url)
    prepared = await asyncio.to_thread(_prepare_sqlite, target, manifest, staged)
    try:
        revisions = await _migrate(f"sqlite:///{prepared}")
        added = await asyncio.to_thread(
            _install_sqlite, prepared, target, manifest, staging, attachment_dir
        )
    finally:
        await asyncio.to_thread(_discard, prepared)
    return RestoreResult(manifest, revisions, added)


async def _restore_postgres(
    url: str,
    attachment_dir: Path,
    manifest: Manifest,
    staged: Path,
    staging: Path,
    bin_dir: Path | None,
) -> RestoreResult:
    postgres.find_tool("pg_restore", bin_dir)  # before anything is created
    await _ensure_empty_postgres(url)
    created = await asyncio.to_thread(
        place_attachments, staging, attachment_dir, manifest.attachment_members
    )
    try:
        await postgres.restore(url, staged, bin_dir)
    except BaseException:
        await asyncio.to_thread(remove_files, created)
        raise
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as conn:
            _, counts = await postgres.inspect(conn)
    finally:
        await db.dispose()
    if counts != manifest.counts:
        raise ArchiveError("ops.restore.counts_differ", usage=False)
    revisions = await _migrate(url)
    return RestoreResult(manifest, revisions, len(created))


async def _ensure_empty_postgres(url: str) -> None:
    """Refuse a PostgreSQL database with tables; create it when it does not exist."""
    db = Database.from_url(url)
    try:
        try:
            async with db.engine.connect() as conn:
                tables = await postgres.table_names(conn)
        except (DBAPIError, OSError) as exc:
            if not postgres.is_missing_database(exc):
                raise
            await postgres.create_database(url)
            return
    finally:
        await db.dispose()
    if tables:
        raise ArchiveError("ops.restore.not_empty", target=_safe_target(url), tables=len(tables))


def _safe_target(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _migrate(url: str) -> list[str]:
    """Migrate the database at `url` up to this Loket's schema; return its revisions."""
    db = Database.from_url(url)
    try:
        return await upgrade(db)
    finally:
        await db.dispose()
