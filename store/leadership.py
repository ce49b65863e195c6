"""Leases on singleton roles: at most one process at a time holds a role's lease.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection of
its own, held for as long as that connection lives. A process that dies loses its connection,
so the server releases the lock at once and a standby's next try gets it.

SQLite: an exclusive `flock` on a lock file next to the database file, held by an open file
descriptor; the kernel releases it when the process ends, however it ends. Only processes on
the same machine share a SQLite file, so a file lock is enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from store.db import create_engine

# A check of a held lease that takes longer than this counts as lost (a dead connection).
CHECK_TIMEOUT_SECONDS = 10.0


class Lease(Protocol):
    """One role's lease, tried without waiting."""

    name: str

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this process holds it now."""
        ...

    async def held(self) -> bool:
        """True while this process still holds the lease (False once it is lost)."""
        ...

    async def release(self) -> None:
        """Give the lease up (nothing happens when it is not held)."""
        ...

    def holder(self) -> str | None:
        """Who holds the lease when this process could not take it, if that is known."""
        ...


class PostgresLease:
    """An advisory lock keyed by the role's name, on a dedicated connection."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine, self.name = engine, name
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """Try the advisory lock on a new connection; keep the connection only if it got it."""
        if self._conn is not None:
            return await self.held()
        conn = await self.engine.connect()
        try:
            got = (
                await conn.execute(
                    text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"),
                    {"key": f"loket-role:{self.name}"},
                )
            ).scalar_one()
            await conn.commit()  # session-level: the lock outlives the transaction
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def held(self) -> bool:
        """Ask the server through the lease's connection; a failing connection is a loss."""
        if self._conn is None:
            return False
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
            return True
        except Exception:
            await self._drop()
            return False

    async def release(self) -> None:
        """Close the lease's connection (which releases the lock with it)."""
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    def holder(self) -> str | None:
        """Unknown for an advisory lock (another worker of this database)."""
        return None


class FileLease:
    """An exclusive flock on `<database file>.<role>.lock`; the file names the holder's pid."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self._fd: int | None = None

    async def acquire(self) -> bool:
        """Try the lock without waiting; write our pid into the file when we get it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def held(self) -> bool:
        """A flock stays held as long as the descriptor is open."""
        return self._fd is not None

    async def release(self) -> None:
        """Unlock and close the file (it stays, empty of meaning, for the next holder)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> str | None:
        """The pid written by the process holding the lock."""
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or None
        return None


class Leases:
    """Makes the lease of each role for one database; `close` releases them all."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.dialect = "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"
        self._engine: AsyncEngine | None = None
        self._made: list[Lease] = []

    def lease(self, role: str) -> Lease:
        """The lease of `role` (a name such as `scheduler` or `imap:ppid@pemda.go.id`)."""
        made: Lease
        if self.dialect == "sqlite":
            database = self.url.database or "loket.db"
            safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", role)
            made = FileLease(Path(f"{database}.{safe}.lock"), role)
        else:
            if self._engine is None:
                # No pool: closing a lease's connection really closes it, and so unlocks.
                self._engine = create_engine(
                    self.url.render_as_string(hide_password=False), poolclass=NullPool
                )
            made = PostgresLease(self._engine, role)
        self._made.append(made)
        return made

    async def close(self) -> None:
        """Release every lease made here and close their connections."""
        for lease in self._made:
            await lease.release()
        if self._engine is not None:
            await self._engine.dispose()
