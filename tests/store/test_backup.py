"""Backup and restore on both databases: a round trip taken while writes go on gives back
every case, message, event, outbox row and attachment (bytes); a bad archive or a non-empty
target restores nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.services import Services
from store.archive import ArchiveError, backup, restore
from store.archive.format import MANIFEST
from store.db import Database
from store.migrate import alembic_config, pending
from tests.support.postgres import PostgresServer
from tests.support.store_content import fill_store, image_of, keep_writing

NOW = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def _fresh_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database that does not exist yet (restore creates it)."""
    if backend == "sqlite":
        (tmp_path / "restored").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'restored' / 'loket.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.url(f"restored_{abs(hash(request.node.nodeid)) % 10**8}")


async def _target_tables(url: str) -> int | None:
    """How many tables the target has, None when the database does not exist."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        if not await asyncio.to_thread(path.exists):
            return None
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as conn:
            if db.dialect == "sqlite":
                query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            else:
                query = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            return (await conn.execute(text(query))).scalar_one()
    except Exception as exc:
        if "does not exist" in str(exc):
            return None
        raise
    finally:
        await db.dispose()


async def test_round_trip_while_writes_continue_gives_back_every_row_and_file(
    services: Services, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await fill_store(services)
    stop = asyncio.Event()
    writer = asyncio.create_task(keep_writing(services, stop))
    await asyncio.sleep(0.3)  # the writer is well under way when the snapshot is taken
    archive = tmp_path / "loket.tar"
    manifest = await backup(
        services.settings.database_url, services.settings.attachment_dir, archive, NOW
    )
    await asyncio.sleep(0.2)
    stop.set()
    written = await writer
    assert written > 0
    assert archive.stat().st_mode & 0o077 == 0  # personal data: the owner's eyes only

    target = _fresh_target(backend, request, tmp_path)
    restored_files = tmp_path / "restored-attachments"
    result = await restore(target, restored_files, archive)

    assert not result.migrated and result.manifest.counts == manifest.counts
    original = await image_of(services.db, services.settings.attachment_dir)
    db = Database.from_url(target)
    try:
        assert await pending(db) == []
        copy = await image_of(db, restored_files)
    finally:
        await db.dispose()
    for table, rows in copy.rows.items():
        assert len(rows) == manifest.counts[table]
        # A consistent snapshot: each row as it was written, none half there.
        assert rows == {i: original.rows[table][i] for i in rows}, table
    assert copy.files == {i: original.files[i] for i in copy.files}
    assert len(copy.rows["attachments"]) >= 36  # every file of the filled store at least
    # Snapshot consistency across tables: every message of a restored case came back.
    restored_cases = set(copy.rows["cases"])
    expected = {i for i, m in original.rows["messages"].items() if m["case_id"] in restored_cases}
    assert expected == {i for i, m in copy.rows["messages"].items() if m["case_id"]}
    assert manifest.missing_attachments == []


async def _archive_of(services: Services, tmp_path: Path) -> Path:
    await fill_store(services, citizens=3)
    archive = tmp_path / "loket.tar"
    await backup(services.settings.database_url, services.settings.attachment_dir, archive, NOW)
    return archive


def _rewrite(archive: Path, out: Path, change: Any) -> Path:
    """A copy of `archive` with `change(name, data) -> data` applied to every member."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            data = change(info.name, data)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def _flip_attachment_byte(name: str, data: bytes) -> bytes:
    if name.startswith("attachments/"):
        return data[:-1] + bytes([data[-1] ^ 1])
    return data


@pytest.mark.parametrize("damage", ["truncated", "flipped_byte", "not_tar", "no_manifest"])
async def test_a_damaged_archive_is_refused_and_nothing_is_restored(
    services: Services,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    damage: str,
) -> None:
    archive = await _archive_of(services, tmp_path)
    raw = archive.read_bytes()
    bad = tmp_path / "bad.tar"
    if damage == "truncated":
        bad.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "flipped_byte":
        _rewrite(archive, bad, _flip_attachment_byte)
    elif damage == "not_tar":
        bad.write_bytes(b"this is not a backup at all\n" * 100)
    else:
        with tarfile.open(archive) as src, tarfile.open(bad, "w") as dst:
            for info in src:
                if info.name != MANIFEST:
                    dst.addfile(info, src.extractfile(info))
    target = _fresh_target(backend, request, tmp_path)
    files = tmp_path / "restored-attachments"
    with pytest.raises(ArchiveError) as refused:
        await restore(target, files, bad)
    expected = "ops.restore.corrupt" if damage == "flipped_byte" else "ops.restore.truncated"
    assert refused.value.key == expected
    assert refused.value.usage
    assert await _target_tables(target) is None  # not even created
    assert list(files.rglob("*")) == []
    assert [p.name for p in files.parent.iterdir() if p.name.startswith(".loket")] == []


async def test_a_non_empty_database_is_refused_and_left_as_it_was(
    services: Services, tmp_path: Path
) -> None:
    archive = await _archive_of(services, tmp_path)
    before = await image_of(services.db, services.settings.attachment_dir)
    files_before = sorted(services.settings.attachment_dir.rglob("*"))
    with pytest.raises(ArchiveError) as refused:
        await restore(services.settings.database_url, services.settings.attachment_dir, archive)
    assert refused.value.key == "ops.restore.not_empty" and refused.value.usage
    assert refused.value.params["tables"] > 10
    assert await image_of(services.db, services.settings.attachment_dir) == before
    assert sorted(services.settings.attachment_dir.rglob("*")) == files_before


async def test_an_older_archive_is_migrated_up_after_restoring(
    db: Database, services: Services, backend: str, request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:  # fmt: skip
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0006_merge_heads"))
    archive = tmp_path / "old.tar"
    manifest = await backup(
        services.settings.database_url, services.settings.attachment_dir, archive, NOW
    )
    assert manifest.schema_revisions == ["0006_merge_heads"]
    target = _fresh_target(backend, request, tmp_path)
    result = await restore(target, tmp_path / "files", archive)
    newest = sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert result.migrated and result.revisions_after == newest
    restored = Database.from_url(target)
    try:
        assert await pending(restored) == []
    finally:
        await restored.dispose()


async def test_an_archive_of_a_newer_schema_is_refused(
    services: Services, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with services.db.transaction() as session:
        await session.exec(text("UPDATE alembic_version SET version_num = '0099_future'"))  # type: ignore[call-overload]
    archive = tmp_path / "new.tar"
    await backup(services.settings.database_url, services.settings.attachment_dir, archive, NOW)
    target = _fresh_target(backend, request, tmp_path)
    with pytest.raises(ArchiveError) as refused:
        await restore(target, tmp_path / "files", archive)
    assert refused.value.key == "ops.restore.schema_too_new"
    assert refused.value.params["revision"] == "0099_future"
    assert await _target_tables(target) is None


async def test_an_archive_of_the_other_database_kind_is_refused(
    services: Services, backend: str, tmp_path: Path
) -> None:
    archive = await _archive_of(services, tmp_path)
    other = "postgresql://app@127.0.0.1:1/none" if backend == "sqlite" else "sqlite:///x.db"
    with pytest.raises(ArchiveError) as refused:
        await restore(other, tmp_path / "files", archive)
    assert refused.value.key == "ops.restore.other_dialect"


async def test_backup_never_overwrites_a_file(services: Services, tmp_path: Path) -> None:
    out = tmp_path / "exists.tar"
    out.write_bytes(b"an earlier backup")
    with pytest.raises(ArchiveError) as refused:
        await backup(services.settings.database_url, services.settings.attachment_dir, out, NOW)
    assert refused.value.key == "ops.backup.exists"
    assert out.read_bytes() == b"an earlier backup"


async def test_postgres_tools_missing_is_one_clear_refusal(
    services: Services, backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump is only needed for PostgreSQL")
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "loket.tar"
    with pytest.raises(ArchiveError) as refused:
        await backup(
            services.settings.database_url, services.settings.attachment_dir, out, NOW,
            pg_bin_dir=empty,
        )  # fmt: skip
    assert (refused.value.key, refused.value.usage) == ("ops.pg_tool_missing_in", False)
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # noqa: ASYNC240


async def test_a_file_missing_from_the_store_is_named_in_the_manifest(
    services: Services, tmp_path: Path
) -> None:
    await fill_store(services, citizens=1)
    image = await image_of(services.db, services.settings.attachment_dir)
    gone = next(iter(image.rows["attachments"].values()))["sha256"]
    services.blobs.path_for(gone).unlink()  # lost by hand, before Loket's backup ran
    manifest = await backup(
        services.settings.database_url, services.settings.attachment_dir, tmp_path / "b.tar", NOW
    )
    assert manifest.missing_attachments == [gone]
    assert f"attachments/{gone[:2]}/{gone[2:4]}/{gone}" not in manifest.files
    named = {a["sha256"] for a in image.rows["attachments"].values()}
    assert {m.rsplit("/", 1)[-1] for m in manifest.attachment_members} >= named - {gone}
