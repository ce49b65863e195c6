"""The database engine and sessions, identical in use on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 30_000


def async_url(url: str) -> str:
    """Return `url` with the async driver Loket uses for its dialect (aiosqlite or asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres") and "+" not in parsed.drivername:
        # No driver named: SQLAlchemy 2.1 would pick psycopg, which is only a test dependency.
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, busy timeout, BEGIN IMMEDIATE: writers queue instead of failing."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (SQLAlchemy's documented aiosqlite recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes can deadlock against another
        # writer (SQLITE_BUSY without waiting); IMMEDIATE takes the write lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for `url` with Loket's per-dialect settings applied."""
    full = async_url(url)
    # SQL errors and logs never carry the statement's parameters (names, NIKs, addresses).
    kwargs.setdefault("hide_parameters", True)
    if full.startswith("sqlite"):
        if make_url(full).database not in (None, "", ":memory:"):
            # One connection: every transaction is IMMEDIATE (below), so a second connection
            # could only wait for the write lock in SQLite's busy handler, whose growing
            # sleeps (up to 100 ms each) let later callers overtake it; the pool's queue
            # hands the one connection over in order, as soon as it is free.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(full, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(full, pool_pre_ping=True, **kwargs)


class Database:
    """An engine plus a session factory; `transaction()` commits on success, rolls back on error."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # What every new session carries in `session.info` (the core's facts about the store's
        # contents, such as the time zone its local dates are in); read at each session's start.
        self.session_info: dict[str, Any] = {}
        self._sessions = async_sessionmaker(
            engine, class_=AsyncSession, expire_on_commit=False, info=self.session_info
        )

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        """Open a database by URL (sqlite:///file.db or postgresql://...)."""
        return cls(create_engine(url, **kwargs))

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing is committed unless the caller commits."""
        async with self._sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed as one unit when the block ends without error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
