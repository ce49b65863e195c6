"""`loket backup` and `loket restore` as an operator runs them: while the store is written to,
into a new database, and one clear sentence (exit 2) for every refusal."""

from __future__ import annotations

import asyncio
import os
import sys
import tarfile
from pathlib import Path

import pytest

from bot.services import Services
from store.db import Database
from tests.support.postgres import PostgresServer
from tests.support.store_content import fill_store, image_of, keep_writing

LOKET = str(Path(sys.executable).parent / "loket")


async def _loket(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        LOKET, *args, cwd=cwd, env={**os.environ, "LANGUAGE": "id", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.url(f"cli_restored_{abs(hash(request.node.nodeid)) % 10**8}")


async def test_backup_while_writing_then_restore_into_a_new_database(
    services: Services, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await fill_store(services, citizens=4)
    source = {
        "DATABASE_URL": services.settings.database_url,
        "ATTACHMENT_DIR": str(services.settings.attachment_dir),
    }
    stop = asyncio.Event()
    writer = asyncio.create_task(keep_writing(services, stop))
    code, out, err = await _loket(tmp_path, source, "backup", "loket.tar")
    stop.set()
    assert await writer > 0
    assert (code, err) == (0, ""), err
    assert out.startswith("Cadangan tersimpan di loket.tar: ") and out.count("\n") == 1

    target = {"DATABASE_URL": _target(backend, request, tmp_path),
              "ATTACHMENT_DIR": str(tmp_path / "restored-files")}  # fmt: skip
    code, out, err = await _loket(tmp_path, target, "restore", "loket.tar")
    assert (code, err) == (0, ""), err
    assert out.startswith("Dipulihkan dari loket.tar")
    original = await image_of(services.db, services.settings.attachment_dir)
    db = Database.from_url(target["DATABASE_URL"])
    try:
        copy = await image_of(db, tmp_path / "restored-files")
    finally:
        await db.dispose()
    assert copy.rows["cases"] and copy.files
    for table, rows in copy.rows.items():
        assert rows == {i: original.rows[table][i] for i in rows}, table
    assert copy.files == {i: original.files[i] for i in copy.files}

    # Again into the same, now filled, database: refused in one sentence, exit 2.
    code, out, err = await _loket(tmp_path, target, "restore", "loket.tar")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "tidak kosong" in err and "pemulihan hanya ke basis data kosong" in err
    # An existing backup file is never overwritten.
    code, _, err = await _loket(tmp_path, source, "backup", "loket.tar")
    assert code == 2 and "sudah ada" in err and err.count("\n") == 1


async def test_a_truncated_backup_is_refused_in_one_sentence(
    services: Services, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        # restored into a fresh SQLite file below; a PostgreSQL archive is refused there for
        # its kind first (tests/store/test_backup.py restores damaged archives on both)
        pytest.skip("the archive restored here must be a SQLite one")
    await fill_store(services, citizens=2)
    env = {"DATABASE_URL": services.settings.database_url,
           "ATTACHMENT_DIR": str(services.settings.attachment_dir)}  # fmt: skip
    assert (await _loket(tmp_path, env, "backup", "full.tar"))[0] == 0
    raw = (tmp_path / "full.tar").read_bytes()
    # cut inside the last member (the manifest), not only the tar's zero padding after it
    with tarfile.open(tmp_path / "full.tar") as archive:
        last = archive.getmembers()[-1]
    (tmp_path / "cut.tar").write_bytes(raw[: last.offset_data + last.size // 2])
    fresh = {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
             "ATTACHMENT_DIR": str(tmp_path / "new-files"), "LANGUAGE": "en"}  # fmt: skip
    code, out, err = await _loket(tmp_path, fresh, "restore", "cut.tar")
    assert code == 2 and out == ""
    assert err == "The backup file is truncated or damaged (incomplete); nothing was restored.\n"
    assert not (tmp_path / "new.db").exists()


async def test_missing_pg_dump_is_named_in_one_sentence(
    services: Services, backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump is only needed for PostgreSQL")
    (tmp_path / "bin").mkdir()
    env = {"DATABASE_URL": services.settings.database_url,
           "POSTGRES_BIN_DIR": str(tmp_path / "bin")}  # fmt: skip
    code, out, err = await _loket(tmp_path, env, "backup", "x.tar")
    assert (code, out) == (1, "")
    folder = tmp_path / "bin"
    assert err == f"pg_dump tidak ada di {folder} (POSTGRES_BIN_DIR): periksa folder itu.\n"
    assert not (tmp_path / "x.tar").exists()
