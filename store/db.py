"""The database engine and sessions, identical in use on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from store.sqlite_driver import one_trip_dbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_POOL_SIZE = 15  # connections a worker keeps (SQLAlchemy's default bound: 5 + 10)
POSTGRES_IDLE_PING_SECONDS = 5.0  # a pooled connection idle longer is pinged before it is used
_LAST_USED = "loket_last_used"  # connection_record.info key: monotonic time of its last checkin
URGENT_RUN = 4  # urgent turns of the SQLite writer in a row before a waiting other one's

# Work someone is waiting for (a chat's update being handled): on SQLite its transactions take
# the one writer before background work's (the outbox's sends). Set in a task's context with
# `with_priority`; tasks it creates inherit it.
_URGENT: contextvars.ContextVar[bool] = contextvars.ContextVar("loket_db_urgent", default=False)


def with_priority(urgent: bool = True) -> contextvars.Context:
    """A copy of the current context whose transactions are `urgent` (or not): run a call or
    create a task in it (`asyncio.create_task(..., context=...)`)."""
    context = contextvars.copy_context()
    context.run(_URGENT.set, urgent)
    return context


class _WriterTurns:
    """Who takes SQLite's one writer connection next: urgent transactions first, each kind in
    its order; after URGENT_RUN urgent turns in a row a waiting other one goes, so background
    work is slowed, never stopped. A task already holding the writer passes (as before, a
    nested transaction then waits for the pool)."""

    def __init__(self) -> None:
        self._holder: asyncio.Task[Any] | None = None
        self._busy = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),
            deque(),
        )
        self._run = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the writer for the block."""
        me = asyncio.current_task()
        if self._busy and me is not None and self._holder is me:
            yield
            return
        await self._acquire(_URGENT.get())
        self._holder = me
        try:
            yield
        finally:
            self._holder = None
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if urgent else 1]
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed the turn as it was cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        urgent, other = self._waiting
        order = (other, urgent) if self._run >= URGENT_RUN and other else (urgent, other)
        for queue in order:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    self._run = self._run + 1 if queue is urgent else 0
                    waiter.set_result(None)
                    return
        self._busy, self._run = False, 0


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


def conflict_insert(dialect_name: str, table: Any) -> Any:
    """An INSERT into `table` that takes ON CONFLICT clauses: PostgreSQL's for `postgresql`,
    else SQLite's (the two databases Loket runs on)."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(table)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for `url` with Loket's per-dialect settings applied."""
    full = async_url(url)
    idle_ping_seconds = kwargs.pop("idle_ping_seconds", POSTGRES_IDLE_PING_SECONDS)
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
        # One trip to aiosqlite's thread per statement instead of three or four (sqlite_driver).
        kwargs.setdefault("module", one_trip_dbapi())
        engine = create_async_engine(full, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # A pool that keeps what it opened: the default (5, plus up to 10 more opened when busy and
    # closed again as soon as they are handed back) opened and closed 218 connections in one
    # burst of 500 Telegram updates, each a TCP connect, a login and asyncpg's set-up while
    # the handlers waited (docs/benchmarks.md, branch `tgfile`). The same bound per worker.
    if "poolclass" not in kwargs:  # a caller's own pool (the leases' NullPool) takes neither
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(full, **kwargs)
    _ping_after_idle(engine, idle_ping_seconds)
    return engine


_APART: dict[str, AsyncEngine] = {}


def engine_apart(engine: AsyncEngine) -> AsyncEngine:
    """An engine on `engine`'s database without a pool (a connection opened for each use and
    closed after it), for a short transaction that commits apart from one its caller holds: it
    never waits for a connection of the caller's pool, which the caller may be exhausting."""
    url = engine.url.render_as_string(hide_password=False)
    apart = _APART.get(url)
    if apart is None:
        apart = _APART[url] = create_engine(url, poolclass=NullPool)
    return apart


def _ping_after_idle(engine: AsyncEngine, idle_ping_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it sat idle over `idle_ping_seconds`.

    `pool_pre_ping` pinged at every checkout: 1,844 round trips in one burst of 500 Telegram
    updates, a fifth of each transaction's time (docs/benchmarks.md, branch `pgping`). This is
    SQLAlchemy's custom pessimistic ping recipe, with the ping skipped for a connection handed
    back within the threshold. The trade-off: a connection the server dropped while it was
    idle for less than the threshold (a restart, pg_terminate_backend) is not caught here, so
    that one transaction fails; SQLAlchemy's is_disconnect then invalidates the connection
    (and, for a restart, the pool's older ones), and the next transaction gets a fresh one.
    """

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is None or time.monotonic() - last_used <= idle_ping_seconds:
            return  # just opened, or handed back a moment ago
        try:
            # The dialect's ping (SQLAlchemy's asyncpg adapter: `ping()`, one round trip).
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (a fresh one if need be).
            raise exc.DisconnectionError("idle pooled connection is gone") from error


class Database:
    """An engine plus a session factory; `transaction()` commits on success, rolls back on error."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite's one pooled connection is handed out urgent work first (`with_priority`).
        size = getattr(engine.pool, "size", None)
        single = engine.dialect.name == "sqlite" and callable(size) and size() == 1
        self._turns = _WriterTurns() if single else None
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
        """A session for reads; nothing is committed unless the caller commits (on an SQLite
        file: urgent work's first, see `with_priority`)."""
        if self._turns is None:
            async with self._sessions() as session:
                yield session
            return
        async with self._turns.turn(), self._sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed as one unit when the block ends without error (on
        an SQLite file: urgent work's first, see `with_priority`)."""
        if self._turns is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._turns.turn(), self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
