"""Human-friendly reference numbers (`PPID/2026/000123`), unique per kind and year."""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from store.enums import CaseKind
from store.models import ReferenceCounter

REFERENCE_RE = re.compile(r"\b([A-Z][A-Z0-9-]{1,15})/(\d{4})/(\d{6})\b")


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
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    number = (await (await session.connection()).execute(stmt)).scalar_one()
    return f"{prefix}/{year}/{number:06d}"


def find_references(text: str) -> list[str]:
    """Every reference number mentioned in `text`, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in REFERENCE_RE.finditer(text or ""):
        seen.setdefault(match.group(0), None)
    return list(seen)
