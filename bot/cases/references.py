"""Human-friendly reference numbers (`PPID/2026/000123`), unique per kind and year.

A number comes from its (prefix, year) counter with one atomic upsert, which locks the
counter's row until the transaction ends (the write lock on SQLite). On PostgreSQL concurrent
submits then queued on that row, each until the one before it committed (docs/benchmarks.md, "A
form's contacts in one lookup; reference numbers without a queue"), so there a case takes the
lowest free number of the pool instead (`reference_pool`, `FOR UPDATE SKIP LOCKED`: no waiting
for another transaction), and a worker that finds it empty counts POOL_BLOCK numbers out of the
counter into it in a short transaction of its own. Either way a rollback (or a killed process)
gives its number back, to the counter or to the pool, and the next case takes it: the numbers
issued are the counter's 1..last except the pool's free ones, which are the next to be issued,
lowest first. (The pool's numbers still free when a year ends are never issued: almost always
the ones after the year's last; one given back by a rollback in the year's last moments, with
none issued after it, stays a gap.)

A transaction that opens many cases (a batch of messages taken together, with no savepoint
that could roll one number back alone) may hold its counters (`hold_references`): on
PostgreSQL it first takes a block of the pool's lowest free numbers in one statement (those
it does not issue go back to the pool before it commits); then, as on SQLite, the next number
of a (prefix, year) is taken with the one atomic upsert, which locks the counter row until the
transaction ends, so the following ones are counted in memory and written back with one
UPDATE a counter before the commit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import re
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Integer, bindparam, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from store.db import conflict_insert, engine_apart
from store.enums import CaseKind
from store.models import ReferenceCounter

REFERENCE_RE = re.compile(r"\b([A-Z][A-Z0-9-]{1,15})/(\d{4})/(\d{6})\b")
# The `session.info` key of the counters a transaction holds: (prefix, year) -> [first, last].
_HELD = "loket.references_held"
# The `session.info` key of a batch's numbers taken from the pool: (prefix, year) -> free ones.
_POOLED = "loket.references_pooled"
# The `session.info` key of the (prefix, year) counters whose row the transaction has locked.
_LOCKED = "loket.references_locked"
POOL_BLOCK = 64  # numbers counted out of a counter into the pool at a time (PostgreSQL)
COUNT_OUT_LOCK_WAIT_MS = 2000  # how long counting out waits for the counter's row
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out
# The `n` lowest free numbers of a (prefix, year), skipping those other transactions took
# (RETURNING gives them in no particular order): one for a case, a block for a batch. The
# rows are picked once, in a MATERIALIZED CTE, then deleted: written as `number IN (SELECT ..
# LIMIT n FOR UPDATE SKIP LOCKED)`, concurrent takers came away with nothing and counted out
# again, leaving free numbers behind (tests/store/test_references.py, fifty at once).
_TAKE = text(
    "WITH picked AS MATERIALIZED (SELECT number FROM reference_pool "
    "WHERE prefix = :prefix AND year = :year ORDER BY number LIMIT :n FOR UPDATE SKIP LOCKED) "
    "DELETE FROM reference_pool AS pool USING picked WHERE pool.prefix = :prefix "
    "AND pool.year = :year AND pool.number = picked.number RETURNING pool.number"
)
_PUT_BACK = text(
    "INSERT INTO reference_pool (prefix, year, number) "
    "SELECT :prefix, :year, unnest(CAST(:numbers AS integer[]))"
)
_FILL = text(
    "INSERT INTO reference_pool (prefix, year, number) "
    "SELECT :prefix, :year, generate_series(CAST(:first AS integer), CAST(:last AS integer))"
)
# Per event loop, per (database, prefix, year): one counting out at a time.
_COUNTING_OUT: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def prefix_for(kind: CaseKind | str, settings: Settings) -> str:
    """The configured prefix for a case kind."""
    return {
        CaseKind.INFORMATION_REQUEST: settings.ref_prefix_request,
        CaseKind.COMPLAINT: settings.ref_prefix_complaint,
        CaseKind.OBJECTION: settings.ref_prefix_objection,
    }[CaseKind(kind)]


async def allocate_reference(
    session: AsyncSession, kind: CaseKind | str, year: int, settings: Settings
) -> str:
    """Issue the next reference for `kind` in `year`; never the same one twice, even concurrently.

    The number is taken inside the caller's transaction (module docstring), so a rollback gives
    it back and two transactions can never take the same one.
    """
    prefix = prefix_for(kind, settings)
    key = (prefix, year)
    held: dict[tuple[str, int], list[int]] | None = session.info.get(_HELD)
    if held is not None and key in held:
        numbers = held[key]  # the row is locked by this transaction's upsert
        numbers[1] += 1
        return f"{prefix}/{year}/{numbers[1]:06d}"
    locked: set[tuple[str, int]] = session.info.setdefault(_LOCKED, set())
    number = None
    if session.bind.dialect.name == "postgresql" and key not in locked:
        pooled: dict[tuple[str, int], collections.deque[int]] | None = session.info.get(_POOLED)
        if pooled is None:
            number = await _from_pool(session, prefix, year)
        else:  # a batch: a block of the pool's lowest free numbers, taken once
            if key not in pooled:
                pooled[key] = collections.deque(await _take(session, prefix, year, POOL_BLOCK))
            number = pooled[key].popleft() if pooled[key] else None
    if number is None:  # SQLite, or no free number left in the pool (module docstring)
        number = await _count_one(await session.connection(), prefix, year, 1)
        locked.add(key)  # its row is this transaction's now: never count out apart
        if held is not None:
            held[key] = [number, number]
    return f"{prefix}/{year}/{number:06d}"


async def _count_one(connection: AsyncConnection, prefix: str, year: int, n: int) -> int:
    """Add `n` to the (prefix, year) counter, created if need be, in one atomic statement;
    return its new last number (row-locked until `connection`'s transaction ends)."""
    stmt = _counting(connection.dialect.name)
    values = {"prefix": prefix, "year": year, "n": n}
    return (await connection.execute(stmt, values)).scalar_one()


@functools.cache
def _counting(dialect_name: str) -> Any:
    """`_count_one`'s upsert, built once per dialect (it runs for every case opened)."""
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    n = bindparam("n", type_=Integer)
    return (
        conflict_insert(dialect_name, table)
        .values(prefix=bindparam("prefix"), year=bindparam("year"), last=n)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": table.c.last + n})
        .returning(table.c.last)
    )


async def _take(session: AsyncSession, prefix: str, year: int, n: int) -> list[int]:
    """PostgreSQL: take up to `n` of the pool's lowest free numbers in the caller's
    transaction (a rollback frees them again), in order."""
    connection = await session.connection()
    taken = await connection.execute(_TAKE, {"prefix": prefix, "year": year, "n": n})
    return sorted(taken.scalars())


async def _from_pool(session: AsyncSession, prefix: str, year: int) -> int | None:
    """PostgreSQL: the lowest free number of the pool, counted out into it first when it is
    empty (once at a time in this process); None if others took every one as it came."""
    if taken := await _take(session, prefix, year, 1):
        return taken[0]
    locks = _COUNTING_OUT.setdefault(asyncio.get_running_loop(), {})
    async with locks.setdefault((str(session.bind.url), prefix, year), asyncio.Lock()):
        taken = await _take(session, prefix, year, 1)  # counted out while this one waited?
        if not taken and await _count_out(session, prefix, year):
            taken = await _take(session, prefix, year, 1)
    return taken[0] if taken else None


async def _count_out(session: AsyncSession, prefix: str, year: int) -> bool:
    """Count POOL_BLOCK numbers out of the counter into the pool, committed apart from the
    caller's transaction; False when the counter's row stayed locked by another transaction
    (one that may be waiting for the caller's: the caller then takes its number from the
    counter itself, a wait the server sees, and breaks, if it is a deadlock)."""
    try:
        async with engine_apart(session.bind).begin() as apart:
            await apart.execute(text(f"SET LOCAL lock_timeout = '{COUNT_OUT_LOCK_WAIT_MS}ms'"))
            last = await _count_one(apart, prefix, year, POOL_BLOCK)
            numbers = {"prefix": prefix, "year": year, "first": last - POOL_BLOCK + 1}
            await apart.execute(_FILL, {**numbers, "last": last})
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return False
    return True


@contextlib.asynccontextmanager
async def hold_references(session: AsyncSession) -> AsyncIterator[None]:
    """Count the references issued in the block in memory after each counter's first upsert,
    and write the counters back when it ends without error (see the module docstring). Only
    for a transaction in which nothing is rolled back alone (no savepoint): an error in the
    block must roll the whole transaction back."""
    held: dict[tuple[str, int], list[int]] = {}
    pooled: dict[tuple[str, int], collections.deque[int]] = {}
    session.info[_HELD], session.info[_POOLED] = held, pooled
    try:
        yield
    finally:
        session.info.pop(_HELD, None)
        session.info.pop(_POOLED, None)
    connection = await session.connection()
    for (prefix, year), left in pooled.items():
        if left:  # taken from the pool and not issued: free again
            numbers = {"prefix": prefix, "year": year, "numbers": list(left)}
            await connection.execute(_PUT_BACK, numbers)
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    for (prefix, year), (first, last) in held.items():
        if last != first:
            stmt = (
                update(table)
                .where(table.c.prefix == prefix, table.c.year == year)
                .values(last=last)
            )
            await connection.execute(stmt)


def find_references(text: str) -> list[str]:
    """Every reference number mentioned in `text`, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in REFERENCE_RE.finditer(text or ""):
        seen.setdefault(match.group(0), None)
    return list(seen)
