"""One trip to aiosqlite's thread per statement (store/sqlite_driver.py), with the same answers
as SQLAlchemy's own aiosqlite adapter: rows, counts, last row ids, errors and streaming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from store.db import create_engine
from store.sqlite_driver import OneTripConnection

STATEMENTS: list[tuple[str, Any]] = [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INTEGER)", None),
    ("INSERT INTO t (v, n) VALUES ('a', 1), ('b', 2) RETURNING id, v", None),
    ("INSERT INTO t (v, n) VALUES (:v, :n)", [{"v": "c", "n": 3}, {"v": "d", "n": 4}]),
    ("UPDATE t SET n = n + 10 WHERE n > :m", {"m": 1}),
    ("INSERT INTO t (v, n) VALUES ('e', 5)", None),
    ("DELETE FROM t WHERE v = 'zz'", None),
    ("SELECT id, v, n FROM t ORDER BY id", None),
    ("SELECT count(*) AS c FROM t WHERE n > :m", {"m": 12}),
]


async def answers(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    """What each statement returns: its rows, row count, last row id and column names."""
    seen = []
    async with engine.begin() as conn:
        for sql, params in STATEMENTS:
            result = await conn.execute(text(sql), params)
            rows = [tuple(row) for row in result] if result.returns_rows else None
            keys = list(result.keys()) if result.returns_rows else None
            last = None if result.returns_rows else result.lastrowid
            seen.append((rows, result.rowcount, last, keys))
    await engine.dispose()
    return seen


async def test_every_statement_answers_as_sqlalchemys_own_adapter(tmp_path: Path) -> None:
    ours = await answers(create_engine(f"sqlite:///{tmp_path / 'ours.db'}"))
    theirs = await answers(create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'theirs.db'}"))
    assert ours == theirs
    assert ours[1][0] == [(1, "a"), (2, "b")] and ours[6][0][-1] == (5, "e", 5)


async def test_a_statement_is_one_trip_to_the_drivers_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'trips.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)
        driver = raw.driver_connection
        trips: list[str] = []
        original = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(getattr(fn, "__name__", repr(fn)))
            return await original(fn, *args, **kwargs)

        driver._execute = counted
        try:
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))  # with BEGIN IMMEDIATE
            begun = len(trips)
            await conn.execute(text("SELECT v FROM t"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('b') RETURNING id"))
            await conn.commit()
        finally:
            driver._execute = original
    await engine.dispose()
    # BEGIN goes with the INSERT, one trip; then a query, a write with rows, the commit.
    assert begun == 1 and len(trips) == 4


async def test_a_transaction_that_runs_nothing_makes_no_trip(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        trips: list[object] = []
        original = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(fn)
            return await original(fn, *args, **kwargs)

        driver._execute = counted
        try:
            await conn.begin()
            await conn.commit()
            await conn.begin()
            await conn.rollback()
            assert trips == []
            await conn.begin()  # a held-back BEGIN still opens the transaction it began
            streamed = await conn.stream(text("SELECT v FROM t"))
            assert [row async for row in streamed] == []
            assert driver._conn.in_transaction
            await conn.rollback()
            assert not driver._conn.in_transaction
        finally:
            driver._execute = original
    await engine.dispose()


async def test_a_write_after_a_held_back_begin_is_in_the_transaction(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    async with engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))
        await conn.rollback()  # both undone: they ran inside the BEGIN sent with the first
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        await conn.rollback()
    await engine.dispose()


async def test_errors_and_rollback_are_sqlalchemys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'errors.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    with pytest.raises(exc.OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT nope FROM t"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]
        streamed = await conn.stream(text("SELECT v FROM t"))
        assert [row.v async for row in streamed] == ["a"]
    await engine.dispose()
