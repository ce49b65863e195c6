"""Human-friendly reference numbers (`PPID/2026/000123`), unique per kind and year.

A transaction that opens many cases (a batch of messages taken together, with no savepoint
that could roll one number back alone) may hold its counters (`hold_references`): the first
number of a (prefix, year) is taken with the one atomic upsert, which locks the counter row
until the transaction ends (the write lock on SQLite), so the following ones are counted in
memory and written back with one UPDATE a counter before the commit.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from store.enums import CaseKind
from store.models import ReferenceCounter

REFERENCE_RE = re.compile(r"\b([A-Z][A-Z0-9-]{1,15})/(\d{4})/(\d{6})\b")
# The `session.info` key of the counters a transaction holds: (prefix, year) -> [first, last].
_HELD = "loket.references_held"


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

    The counter row is created-or-incremented in one atomic statement inside the caller's
    transaction (row lock on PostgreSQL, the write lock on SQLite), so a rollback gives the
    number back and two transactions can never read the same value.
    """
    prefix = prefix_for(kind, settings)
    held: dict[tuple[str, int], list[int]] | None = session.info.get(_HELD)
    if held is not None and (prefix, year) in held:
        numbers = held[(prefix, year)]  # the row is locked by this transaction's upsert
        numbers[1] += 1
        return f"{prefix}/{year}/{numbers[1]:06d}"
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    number = (await (await session.connection()).execute(stmt)).scalar_one()
    if held is not None:
        held[(prefix, year)] = [number, number]
    return f"{prefix}/{year}/{number:06d}"


@contextlib.asynccontextmanager
async def hold_references(session: AsyncSession) -> AsyncIterator[None]:
    """Count the references issued in the block in memory after each counter's first upsert,
    and write the counters back when it ends without error (see the module docstring). Only
    for a transaction in which nothing is rolled back alone (no savepoint): an error in the
    block must roll the whole transaction back."""
    held: dict[tuple[str, int], list[int]] = {}
    session.info[_HELD] = held
    try:
        yield
    finally:
        session.info.pop(_HELD, None)
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
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
