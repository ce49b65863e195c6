"""SQLite through aiosqlite with one trip to the driver's thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's thread for a query (open a cursor,
execute, fetch the rows, close the cursor) and three for a write; each trip is a queue put, a
thread wake-up and a loop wake-up, paid on the event loop that also handles Telegram and mail.
This adapter runs the four steps as one function in that thread and hands back the rows, the
description, the row count and the last row id together. Everything else (the connection,
transactions, errors, server-side cursors) stays SQLAlchemy's own aiosqlite adapter.

A transaction's BEGIN goes with its first statement, in that statement's trip: nothing can run
on the connection in between, so the lock is taken at the same point of the transaction, one
trip sooner done (a transaction of one statement and its commit: two trips instead of three).
A transaction that ran nothing costs no trip at all, neither its BEGIN nor its end.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose every execute is one call in the driver's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor is opened here: the driver's cursor lives only inside one statement's call.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._arraysize = 1
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        """The columns of the last statement's rows (None for a statement without rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """The rows the last statement changed, as sqlite3 counts them."""
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        """The rowid of the last row inserted, as sqlite3 reports it."""
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        """How many rows `fetchmany()` returns by default."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor was closed in the statement's own call."""

    def close(self) -> None:
        """Forget the rows not fetched; no trip to the driver's thread."""
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes, so this does too."""

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        if not parameters and _is_begin(operation):
            adapt._begin = operation  # sent with the next statement (module docstring)
            self._description, self._rowcount, self._lastrowid = None, -1, None
            self._rows = collections.deque()
            return None
        async with adapt._execute_mutex:
            return await self._connection._execute(self._run, operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            return await self._connection._execute(self._run, operation, seq_of_parameters, True)

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        """Runs in aiosqlite's thread: the BEGIN held back, if any; then execute, keep every
        row and the counts, close."""
        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        if adapt._begin is not None:
            self._connection._conn.execute(adapt._begin).close()
            adapt._begin = None  # only once it ran: on failure the transaction never began
        cursor: sqlite3.Cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            description = cursor.description
            rows: Sequence[Any] = cursor.fetchall() if description else ()
            # sqlite3 counts the rows of an INSERT .. RETURNING only once they are fetched.
            self._description, self._rowcount = description, cursor.rowcount
            self._lastrowid = cursor.lastrowid
            self._rows = collections.deque(rows)
        finally:
            cursor.close()


def _is_begin(operation: Any) -> bool:
    """True for a statement that only opens a transaction (BEGIN, BEGIN IMMEDIATE, ...)."""
    return isinstance(operation, str) and operation.lstrip()[:5].upper() == "BEGIN"


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with `OneTripCursor` as its client-side cursor and
    the transaction's BEGIN held back until its first statement (module docstring)."""

    __slots__ = ("_begin",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None  # a BEGIN not sent yet

    def cursor(self, server_side: bool = False) -> Any:
        """A cursor; a server-side one (its own trips) first sends a BEGIN held back."""
        if server_side and self._begin is not None:
            begin, self._begin = self._begin, None
            cursor = await_(self._connection.execute(begin))
            await_(cursor.close())
        return super().cursor(server_side)

    def commit(self) -> None:
        """Commit; a transaction that ran nothing ends without a trip."""
        if self._begin is not None:
            self._begin = None
            return
        super().commit()

    def rollback(self) -> None:
        """Roll back; a transaction that ran nothing ends without a trip."""
        if self._begin is not None:
            self._begin = None
            return
        super().rollback()

    def close(self) -> None:
        """Close the connection (a BEGIN held back is dropped: nothing began)."""
        self._begin = None
        super().close()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given: connections use one trip."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """Open the connection as SQLAlchemy's adapter does, rewrapped for one trip a statement."""
        opened = super().connect(*arg, **kw)
        return OneTripConnection(self, opened._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    """The module to pass as `module=` to an `sqlite+aiosqlite` engine."""
    return OneTripDBAPI(aiosqlite, sqlite3)
