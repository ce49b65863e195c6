"""The written parts of the annual report, kept per year in the store (issue 14).

Perki 1/2021 Pasal 56 and seed 001 give the report sections the figures cannot fill: the
foreword, A (policy), B (facilities, staff, budget), E (external and internal obstacles),
F (recommendations, follow-up plan) and the closing. An operator writes each as plain text
(`loket report annual --year Y --edit SECTION --from-file FILE`); blank lines separate
paragraphs and lines starting with "- " are list items.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from store.models import AnnualNarrative

# In the order the report prints them.
SECTIONS = (
    "foreword",
    "policy",
    "facilities",
    "staff",
    "budget",
    "obstacles_external",
    "obstacles_internal",
    "recommendations",
    "follow_up_plan",
    "closing",
)
MAX_CHARS = 50_000  # a section is a few pages at most; more is a wrong file


async def narratives(session: AsyncSession, year: int) -> dict[str, str]:
    """Every section's text for `year` ("" where nothing was written)."""
    rows = await session.exec(select(AnnualNarrative).where(AnnualNarrative.year == year))
    found = {row.section: row.text for row in rows.all()}
    return {section: found.get(section, "") for section in SECTIONS}


def check_section(section: str) -> str:
    """The section key as stored; DomainError naming the known sections otherwise."""
    key = section.strip().lower().replace("-", "_")
    if key not in SECTIONS:
        raise DomainError("annual.edit.unknown", section=section, choices=", ".join(SECTIONS))
    return key


async def save_narrative(
    session: AsyncSession, year: int, section: str, text: str, *, actor: str, now: dt.datetime
) -> AnnualNarrative:
    """Store (or replace) one section's text for `year`; an empty text clears the section."""
    key = check_section(section)
    clean = text.replace("\r\n", "\n").strip()
    if len(clean) > MAX_CHARS:
        raise DomainError("annual.edit.too_long", section=key, limit=MAX_CHARS)
    stmt = select(AnnualNarrative).where(
        AnnualNarrative.year == year, col(AnnualNarrative.section) == key
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        row = AnnualNarrative(year=year, section=key)
    row.text, row.updated_by, row.updated_at = clean, actor[:128], now
    session.add(row)
    await session.flush()
    return row
