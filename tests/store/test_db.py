"""The store on both databases: drivers, SQLite pragmas, and migrations matching the models."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (every table on the metadata)
from store.db import POSTGRES_POOL_SIZE, URGENT_RUN, Database, async_url, with_priority
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


async def test_sqlite_writer_serves_urgent_transactions_first(db: Database, backend: str) -> None:
    if backend == "postgresql":
        return
    order: list[str] = []
    held, go = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.transaction():
            held.set()
            await go.wait()

    async def one(name: str) -> None:
        async with db.transaction() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            order.append(name)

    first = asyncio.create_task(holder())
    await held.wait()
    waiting = [asyncio.create_task(one(f"background {i}")) for i in range(2)]
    waiting += [asyncio.create_task(one(f"urgent {i}"), context=with_priority()) for i in range(6)]
    await asyncio.sleep(0.05)  # every one of them is waiting for the writer now
    go.set()
    await asyncio.gather(first, *waiting)
    # Urgent ones first, in order; after URGENT_RUN of them a waiting background one goes.
    assert order == [f"urgent {i}" for i in range(URGENT_RUN)] + ["background 0"] + [
        f"urgent {i}" for i in range(URGENT_RUN, 6)
    ] + ["background 1"]


async def test_postgresql_keeps_the_connections_it_opened(db: Database, backend: str) -> None:
    if backend == "sqlite":
        return  # one connection, handed out in turns (above)
    # SQLAlchemy's default pool closed every connection past its fifth as soon as it was
    # handed back: a burst of Telegram updates opened and closed 218 of them, each a connect,
    # a login and asyncpg's set-up while handlers waited (docs/benchmarks.md, `tgfile`).
    opened: list[object] = []
    sync = db.engine.sync_engine
    event.listen(sync.pool, "connect", lambda *_: opened.append(1))
    held, go = asyncio.Event(), asyncio.Event()
    busy = 0

    async def one() -> None:
        nonlocal busy
        async with db.transaction() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            busy += 1
            if busy == 10:
                held.set()
            await go.wait()

    await db.engine.dispose()  # none open: count from here
    for _ in range(3):  # three bursts of ten transactions side by side
        held.clear()
        go.clear()
        busy = 0
        tasks = [asyncio.create_task(one()) for _ in range(10)]
        await held.wait()
        go.set()
        await asyncio.gather(*tasks)
    assert len(opened) == 10
    assert POSTGRES_POOL_SIZE >= 10


def _count_pings(db: Database) -> list[int]:
    """A list that grows by one at each ping of a pooled connection."""
    pings: list[int] = []
    dialect = db.engine.dialect
    original = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return original(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


async def _select_one(db: Database) -> int:
    async with db.transaction() as session:
        return (await session.exec(text("SELECT 1"))).scalar_one()  # type: ignore[call-overload]


async def test_postgresql_burst_within_the_idle_threshold_pings_nothing(
    db: Database, backend: str
) -> None:
    if backend == "sqlite":
        return
    # pool_pre_ping pinged at every checkout: 1,844 pings in a burst of 500 Telegram updates.
    await db.engine.dispose()
    pings = _count_pings(db)
    await asyncio.gather(*(_select_one(db) for _ in range(40)))
    for _ in range(20):
        await _select_one(db)
    assert pings == []


async def _terminate_other_backends(db: Database) -> None:
    import psycopg

    url = db.engine.url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()"
        )


@contextlib.asynccontextmanager
async def _same_database(db: Database, idle_ping_seconds: float) -> AsyncIterator[Database]:
    """A second engine on `db`'s database pinging after `idle_ping_seconds`; disposed after."""
    url = db.engine.url.render_as_string(hide_password=False)
    other = Database.from_url(url, idle_ping_seconds=idle_ping_seconds)
    try:
        yield other
    finally:
        await other.dispose()


@pytest.mark.parametrize(
    ("idle_ping_seconds", "failures_allowed"),
    # Idle past the threshold: the dead connections are pinged and replaced, nothing fails.
    # Used within it: not pinged (the price of skipping the ping), so the one transaction on
    # the dead connection may fail; SQLAlchemy's is_disconnect invalidates it and the next
    # transaction gets a fresh connection.
    [(0.0, 0), (3600.0, 1)],
)
async def test_postgresql_recovers_from_killed_connections(
    db: Database, backend: str, idle_ping_seconds: float, failures_allowed: int
) -> None:
    if backend == "sqlite":
        return
    async with _same_database(db, idle_ping_seconds) as other:
        await asyncio.gather(*(_select_one(other) for _ in range(3)))
        await _terminate_other_backends(other)
        failures = 0
        for _ in range(3):
            try:
                await _select_one(other)
            except Exception:
                failures += 1
        assert failures <= failures_allowed
        assert await _select_one(other) == 1
