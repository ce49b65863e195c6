"""The store on both databases: drivers, SQLite pragmas, and migrations matching the models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (every table on the metadata)
from store.db import Database, async_url
from store.migrate import pending, upgrade


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///loket.db", "sqlite+aiosqlite:///loket.db"),
        ("postgresql://app@db/loket", "postgresql+asyncpg://app@db/loket"),
        ("postgres://app@db/loket", "postgresql+asyncpg://app@db/loket"),
        ("postgresql+psycopg://app:pw@db/loket", "postgresql+psycopg://app:pw@db/loket"),
        ("postgresql+asyncpg://app@db/loket", "postgresql+asyncpg://app@db/loket"),
    ],
)
def test_async_url_picks_an_installed_async_driver(url: str, expected: str) -> None:
    # psycopg is a test-only dependency: a plain postgresql:// URL must not need it.
    assert async_url(url) == expected


async def test_engine_driver_and_sqlite_pragmas(db: Database, backend: str) -> None:
    assert db.dialect == backend
    if backend == "postgresql":
        assert db.engine.dialect.driver == "asyncpg"
        return
    async with db.session() as session:
        conn = await session.connection()
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1


async def test_migrations_match_the_models_and_rerun_cleanly(db: Database) -> None:
    heads = await upgrade(db)
    assert await upgrade(db) == heads
    assert await pending(db) == []

    def diff(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
